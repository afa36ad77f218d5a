import ArgumentParser
import Shared

/// The `jobfleet-agent` command line: the per-host supervisor and its SSH bridge.
public struct AgentCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "jobfleet-agent",
        abstract: "Start, supervise, health-check and report on the bk-job services of one host.",
        discussion: """
            The agent opens no network port: the controller reaches it through SSH by \
            running `jobfleet-agent rpc`, which relays JSON lines to the daemon's Unix socket.
            """,
        version: JobFleetVersion.current,
        subcommands: [ServeCommand.self, RPCCommand.self, ReceiveCommand.self]
    )

    public init() {}
}
