import ArgumentParser
import Foundation
import Shared

/// `jobfleet status`: what runs where, which release, whether it is healthy.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every instance's state, health, release, pid, uptime and restarts, and desired versus actual counts.",
        discussion: "Exit status: 0 when every placed instance is healthy on its target release, 1 otherwise.")

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
        let healthy = try await withFleetSession(loaded, hosts: try loaded.selectedHosts(), quiet: true,
                                                 onConnect: { await early.ask($0) }) { session in
            try await show(session, first: session.statuses(from: await early.all))
        }
        if !healthy { throw ExitCode(ExitCodes.failed) }
    }

    /// Prints the report, once or every `interval` with --watch; whether the last one was healthy.
    private func show(_ session: FleetSession<SSHFleetHost>,
                      first: [String: Result<StatusResult, any Error>]) async throws -> Bool {
        var statuses = first
        var healthy = false
        repeat {
            let report = StatusReport.build(desired: session.desired, statuses: statuses)
            healthy = report.allHealthy
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                for row in report.rows {
                    Console.line(String(decoding: try encoder.encode(row), as: UTF8.self))
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
        return healthy
    }
}
