#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `logs` parameters.
public struct LogsRequest: Codable, Sendable, Equatable {
    /// Which file of a service to read.
    public enum Source: String, Codable, Sendable {
        /// The service's own log (`$BK_HOME/logs/job/<name>/<name>.log` unless the spec says).
        case service
        /// Its `error.log`: error lines only, with their stack traces (the spec's
        /// `errorLogFile`, else `error.log` beside the service's own log).
        case error
        /// Its stdout and stderr as captured by the agent.
        case console
    }
    /// Service name.
    public var service: String
    /// Which log.
    public var source: Source
    /// Last lines wanted (default 100, at most 10000).
    public var lines: Int
    /// Only lines matching this regular expression (Swift Regex syntax).
    public var grep: String?
    /// Only lines logged at or after this instant (read from the line's leading timestamp;
    /// lines without one, such as stack frames, go with the line above them).
    public var since: Date?
    /// Bound on the bytes of lines returned (default 64 KiB, at most 1 MiB).
    public var maxBytes: Int

    /// Last `lines` lines of `service`'s log.
    public init(service: String, source: Source = .service, lines: Int = 100, grep: String? = nil,
                since: Date? = nil, maxBytes: Int = 65536) {
        self.service = service
        self.source = source
        self.lines = lines
        self.grep = grep
        self.since = since
        self.maxBytes = maxBytes
    }

    enum CodingKeys: String, CodingKey { case service, source, lines, grep, since, maxBytes }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        service = try c.decode(String.self, forKey: .service)
        source = try c.decodeIfPresent(Source.self, forKey: .source) ?? .service
        lines = try c.decodeIfPresent(Int.self, forKey: .lines) ?? 100
        grep = try c.decodeIfPresent(String.self, forKey: .grep)
        since = try c.decodeIfPresent(Date.self, forKey: .since)
        maxBytes = try c.decodeIfPresent(Int.self, forKey: .maxBytes) ?? 65536
    }
}

/// `logs` result.
public struct LogsResult: Codable, Sendable, Equatable {
    /// Service name.
    public var service: String
    /// The file read.
    public var path: String
    /// Matching lines, oldest first.
    public var lines: [String]
    /// True when `maxBytes` or the scan bound (64 MiB read backwards) cut the answer short,
    /// or a line longer than 8 KiB was cut.
    public var truncated: Bool
    /// Builds a logs result.
    public init(service: String, path: String, lines: [String], truncated: Bool) {
        self.service = service
        self.path = path
        self.lines = lines
        self.truncated = truncated
    }
}
