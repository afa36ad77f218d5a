import Shared

/// Settings of one rollout.
public struct RolloutOptions: Sendable {
    public var policy: GatePolicy = .all
    /// Instances of one service replaced at a time during an upgrade.
    public var maxParallel: Int = 1
    /// Put a failed upgraded instance back on its previous release.
    public var revertOnFailure = true
    /// How often a waiting instance or gate asks the agents again. A status call is one small
    /// message on an open channel, and waves wait on it.
    public var pollInterval: Duration = .milliseconds(200)
    /// Overrides every service's health deadline (the catalog's `start_timeout`).
    public var healthDeadline: Duration?
    /// Log lines attached to a failure.
    public var logLines = 20

    public init() {}
}

/// Something that happened during a rollout, for progress output and the journal.
public enum RolloutEvent: Sendable, Equatable {
    case uploading(host: String, files: Int, bytes: UInt64)
    case uploadProgress(host: String, sent: UInt64, total: UInt64)
    case uploaded(host: String, bytes: UInt64, seconds: Double)
    case wave(index: Int, count: Int, services: [String])
    case waiting(service: String, for: [String])
    case gateOpen(service: String)
    case step(instance: String, what: String)
    case healthy(instance: String, seconds: Double)
    case failed(InstanceFailure)
    case reverted(instance: String, release: String?, healthy: Bool)
    case stopped(host: String, services: [String])
}

/// Why one instance failed, with its own log lines.
public struct InstanceFailure: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var service: String
    public var reason: String
    /// Where the lines come from (the service's log on the host).
    public var logPath: String?
    public var logLines: [String]
    /// The ends of each of the instance's logs that had lines (main log, `error.log`, console),
    /// when they were fetched; `logLines` are the main log's.
    public var excerpts: [LogExcerpt] = []

    public var instance: String { "\(service)@\(host)" }
    public var description: String { "\(instance): \(reason)" }
}

/// The last lines of one log file of an instance, as its agent sent them.
public struct LogExcerpt: Sendable, Equatable {
    /// The file on the host.
    public var path: String
    public var lines: [String]
    public init(path: String, lines: [String]) {
        self.path = path
        self.lines = lines
    }
}

/// What a rollout did.
public struct RolloutResult: Sendable {
    public var failures: [InstanceFailure] = []
    public var started: [String] = []
    public var restarted: [String] = []
    public var reverted: [String] = []
    /// Instances that needed no change and were waited for until healthy.
    public var settled: [String] = []
    /// Bytes of the jars placed on hosts, and the bytes sent over SSH to place them.
    public var uploadedBytes: UInt64 = 0
    public var sentBytes: UInt64 = 0
    public var succeeded: Bool { failures.isEmpty }
}
