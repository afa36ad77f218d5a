import ArgumentParser

/// `--home BK_HOME`, shared by every subcommand.
struct HomeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The BK_HOME whose services this agent supervises.", valueName: "BK_HOME"))
    var home: String = "/data/bkee"

    func validate() throws {
        guard home.hasPrefix("/") else {
            throw ValidationError("--home must be an absolute path, got \(home)")
        }
    }
}
