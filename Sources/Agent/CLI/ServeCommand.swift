import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// `jobfleet-agent serve`: the daemon.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the agent daemon for one BK_HOME (in the foreground, e.g. under systemd).",
        discussion: """
            One agent per BK_HOME: a second one refuses to start. It listens on \
            BK_HOME/.jobfleet/agent.sock (mode 0600), logs to BK_HOME/.jobfleet/agent.log and \
            keeps its state in BK_HOME/.jobfleet/state.json. SIGTERM stops the agent, not the \
            services. With --detach it starts itself in the background and returns once it answers.
            """)

    @OptionGroup var options: HomeOptions

    @Flag(help: "Start in the background (own session, no terminal) and return once the socket answers.")
    var detach = false

    func run() async throws {
        if detach {
            let fd = try RPCBridge.connectOrStart(AgentPaths(home: options.home), autostart: true)
            close(fd)
            return
        }
        try await AgentDaemon.run(home: options.home)
    }
}
