import Shared

/// The ends of a failed instance's logs, for the rollout report: its main log, `error.log`
/// (errors with their stack traces, which the main log may have scrolled past) and the console
/// file (what the JVM printed before its logging started: a bad option, a missing class).
enum FailureExcerpt {
    /// The files asked for, in the order they are shown.
    static let sources: [LogsRequest.Source] = [.service, .error, .console]
    /// Bytes per file: three files of this stay far under what a report should hold.
    static let maxBytes = 16 * 1024

    struct Fetched: Sendable {
        var source: LogsRequest.Source
        var path: String
        var lines: [String]
    }

    /// Asks the host for each file; a file that is missing or unreadable is left out (the
    /// service may never have written it). Secrets are masked where the report is printed.
    static func fetch(_ service: String, from host: any FleetHost, lines: Int) async -> [Fetched] {
        var fetched: [Fetched] = []
        for source in sources {
            let request = LogsRequest(service: service, source: source, lines: lines, maxBytes: maxBytes)
            guard let result = try? await host.logs(request) else { continue }
            fetched.append(Fetched(source: source, path: result.path, lines: result.lines))
        }
        return fetched
    }
}
