import ArgumentParser
import Foundation

/// `jobfleet exec`: one shell command on many hosts, each host's output and exit status.
struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a shell command on the fleet's hosts and show each host's output and exit status.",
        discussion: """
            The command after `--` is run by the login shell of each host, as with ssh; \
            several words are joined with spaces. Standard input is empty. Hosts run in \
            parallel (--forks at a time), each over one SSH connection.

            Exit status: 0 when the command exited 0 on every host; 1 when it exited non-zero \
            or was killed on some host; 2 when some host could not be reached or timed out.
            """)

    @OptionGroup var fleet: FleetOptions

    @Option(help: ArgumentHelp("Bound on the command on each host (default: the manifest's ssh.command_timeout).", valueName: "duration"))
    var timeout: DurationArgument?

    @Flag(help: "Print one JSON object per host, one per line.")
    var json = false

    @Flag(help: ArgumentHelp(
        "Write each host's output bytes unchanged, escape sequences and binary data included; the '== host' lines go to stderr.",
        discussion: "Without it, control characters in the output are shown as \\xHH, so a host cannot repaint the terminal."))
    var raw = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command, after --.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command after --, e.g. jobfleet exec -f fleet.yaml -- uptime") }
        if raw && json { throw ValidationError("--raw and --json are two forms of the output: give one of them") }
    }

    func run() async throws {
        let loaded = try fleet.loadManifest()
        let targets = try loaded.sshTargets(try loaded.selectedHosts(), commandTimeout: timeout?.value)
        let remote = RemoteCommand(shell: command.joined(separator: " "))
        let output = ExecOutput(json: json, raw: raw)
        let outcomes = await HostFanOut(forks: loaded.manifest.ssh.forks).run(targets, onOutcome: output.show) {
            try await $0.exec(remote, timeout: nil)
        }
        let code = output.summarize(outcomes)
        if code != 0 { throw ExitCode(code) }
    }
}
