import ArgumentParser
import Shared

/// The `jobfleet` command line: the controller an operator runs on a bastion host.
public struct JobFleetCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "jobfleet",
        abstract: "Deploy and run the bk-job backend on a fleet of Linux hosts over SSH.",
        discussion: """
            JobFleet pushes jars, ops scripts and rendered configuration to every host \
            of a fleet manifest, starts the services in dependency order through a small \
            agent on each host, and reports what runs where.
            """,
        version: JobFleetVersion.current,
        subcommands: [
            PlanCommand.self, DeployCommand.self, StatusCommand.self, LogsCommand.self,
            StartCommand.self, StopCommand.self, RestartCommand.self, RollbackCommand.self,
            HistoryCommand.self, DoctorCommand.self, ExecCommand.self, CopyCommand.self, ChunkStatsCommand.self,
        ]
    )

    public init() {}

    /// Runs the command the arguments name. A command's error is printed and turned into its
    /// exit status by `ExitCodes.settle`, so commands only throw.
    public static func main() async {
        do {
            var command = try await asyncParseAsRoot(nil)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: ExitCodes.settle(error))
        }
    }
}
