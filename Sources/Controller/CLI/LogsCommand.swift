import ArgumentParser
import Foundation
import Shared

/// `jobfleet logs SERVICE`: the service's own log lines from every host that runs it.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show the last lines of a service's log from each of its hosts ($BK_HOME/logs/job/<service>/).",
        discussion: "The file is the one the catalog names for the service (bk-job's own: job-manage/manage.log); "
            + "--error reads its error.log, --console what the process printed to stdout and stderr.")

    @OptionGroup var fleet: FleetOptions
    @Argument(help: "The service, e.g. job-execute.")
    var service: String
    @Option(name: [.customShort("n"), .long], help: "Lines per host.")
    var lines = 100
    @Option(help: "Only lines matching this regular expression.")
    var grep: String?
    @Option(help: "Only lines from this long ago, e.g. 10m or 2h.")
    var since: String?
    @Flag(help: "Print the service's error.log (errors with their stack traces) instead of its own log.")
    var error = false
    @Flag(help: "Print the process's console output instead of its log file.")
    var console = false
    @Flag(help: "Keep printing new lines (polls every second).")
    var follow = false

    func validate() throws {
        if lines < 1 { throw ValidationError("-n must be at least 1") }
        if console && error { throw ValidationError("--console and --error name different files: give one") }
        if let since, DurationText.parse(since) == nil {
            throw ValidationError("--since must be a duration such as 10m or 2h, got '\(since)'")
        }
        if let grep, (try? Regex(grep)) == nil { throw ValidationError("--grep is not a valid regular expression: \(grep)") }
    }

    func run() async throws {
        let loaded = try fleet.loadFleet(services: [service])
        let placed = Set(loaded.desired.instances(of: service).map(\.host.name))
        let selected = try loaded.selectedHosts().filter { fleet.hosts != nil || placed.contains($0.name) }
        guard !selected.isEmpty else {
            throw UsageError(message: "\(service) is not placed on any host in \(loaded.manifest.path)")
        }
        let status = try await withFleetSession(loaded, hosts: selected) { session in
            try await show(selected, from: session)
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Prints each host's lines, once or every second with --follow; the exit status.
    private func show(_ selected: [FleetManifest.Host], from session: FleetSession<SSHFleetHost>) async throws -> Int32 {
        let sinceDate = since.flatMap(DurationText.parse).map { Date().addingTimeInterval(-Double($0.components.seconds)) }
        var seen: [String: [String]] = [:]
        var statuses = session.unreachable.values.map(ExitCodes.status(of:))
        repeat {
            for host in selected {
                guard let connected = session.hosts[host.name] else { continue }
                do {
                    let result = try await connected.logs(LogsRequest(service: service, source: source,
                                                                      lines: lines, grep: grep, since: sinceDate))
                    let fresh = Self.newLines(result.lines, after: seen[host.name] ?? [])
                    seen[host.name] = result.lines
                    for line in fresh { Console.line("[\(host.name)] \(line)") }
                    if result.truncated && !follow {
                        Console.progress("[\(host.name)] (output cut at the size bound; narrow with -n, --grep or --since)")
                    }
                } catch {
                    Console.error("\(error)")
                    statuses.append(ExitCodes.status(of: error))
                }
            }
            if follow { try await Task.sleep(for: .seconds(1)) }
        } while follow
        return ExitCodes.combined(statuses)
    }

    /// The agent's name for the file asked for.
    var source: LogsRequest.Source {
        if console { return .console }
        return error ? .error : .service
    }

    /// The lines of `current` that come after the overlap with `previous` (for --follow).
    static func newLines(_ current: [String], after previous: [String]) -> [String] {
        guard !previous.isEmpty else { return current }
        for overlap in stride(from: min(previous.count, current.count), through: 1, by: -1)
        where Array(previous.suffix(overlap)) == Array(current.prefix(overlap)) {
            return Array(current.dropFirst(overlap))
        }
        return current == previous ? [] : current
    }
}
