import ArgumentParser
import Foundation
import Shared

/// `jobfleet status`: what runs where, which release, whether it is healthy.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every instance's state, health, release, pid, uptime and restarts, and desired versus actual counts.",
        discussion: """
            Exit status: 0 when every placed instance is healthy on its target release; 2 when a \
            host could not be reached or its agent did not answer in time (the other hosts are \
            still shown); 1 otherwise.
            """)

    @OptionGroup var fleet: FleetOptions
    @Flag(help: "One JSON object per instance (JSON lines), times in RFC 3339.")
    var json = false
    @Flag(help: "Refresh every --interval until interrupted.")
    var watch = false
    @Option(help: "Refresh interval for --watch.")
    var interval: Double = 2

    func run() async throws {
        let loaded = try fleet.loadFleet()
        // Each host is asked the moment it is connected.
        let early = StatusAnswers()
        let status = try await withFleetSession(loaded, hosts: try loaded.selectedHosts(), quiet: true,
                                                onConnect: { await early.ask($0) }) { session in
            try await show(session, first: session.statuses(from: await early.all))
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Prints the report, once or every `interval` with --watch; the exit status of the last.
    private func show(_ session: FleetSession<SSHFleetHost>,
                      first: [String: Result<StatusResult, any Error>]) async throws -> Int32 {
        var statuses = first
        var status: Int32 = 0
        repeat {
            let report = StatusReport.build(desired: session.desired, statuses: statuses)
            let failures = statuses.values.compactMap { if case .failure(let error) = $0 { error } else { nil } }
            status = ExitCodes.combined(failures.map(ExitCodes.status(of:)) + [report.allHealthy ? 0 : ExitCodes.failed])
            if json {
                let encoder = Console.jsonEncoder()
                for row in report.rows {
                    Console.jsonLine(try encoder.encode(row))
                }
            } else {
                if watch && Console.interactive { FileHandle.standardOutput.write(Data("\u{1B}[H\u{1B}[2J".utf8)) }
                Console.line(report.text())
            }
            if watch {
                try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                statuses = await session.statuses()
            }
        } while watch
        return status
    }
}
