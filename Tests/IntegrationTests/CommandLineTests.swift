import Testing
import TestSupport

/// Every command's definition is valid and documents itself.
@Suite("Command line")
struct CommandLineTests {
    static let commands = ["plan", "deploy", "status", "logs", "start", "stop", "restart", "rollback",
                           "history", "doctor", "exec", "copy"]

    @Test("each subcommand prints its help and exits 0", arguments: commands)
    func help(command: String) throws {
        let result = try Command.run(JobFleetCLI.binary, [command, "--help"])
        #expect(result.status == 0, "\(command): \(result.stderr)")
        #expect(result.stdout.contains("USAGE: jobfleet \(command)"), "\(result.stdout)")
    }

    @Test("--version prints the version")
    func version() throws {
        let result = try Command.run(JobFleetCLI.binary, ["--version"])
        #expect(result.succeeded)
        #expect(!result.stdout.isEmpty)
    }
}
