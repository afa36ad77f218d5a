import ArgumentParser
import Foundation

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
        let context = try FleetContext.load(fleet)
        var statuses = try await context.connectForStatus(try context.selectHosts(fleet))
        var healthy = false
        repeat {
            let report = StatusReport.build(desired: context.desired, statuses: statuses)
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
                statuses = await context.statuses()
            }
        } while watch
        await context.close()
        if !healthy { throw ExitCode(ExitCodes.failed) }
    }
}
