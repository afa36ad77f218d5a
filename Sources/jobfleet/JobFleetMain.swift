import Controller

/// Entry point. An async `main` makes Swift pick ArgumentParser's async `main()`; top-level
/// code would pick the synchronous one, which cannot run async subcommands such as `exec`.
@main
enum JobFleetMain {
    static func main() async {
        await JobFleetCommand.main()
    }
}
