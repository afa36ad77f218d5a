#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `status` parameters.
public struct StatusRequest: Codable, Sendable, Equatable {
    /// Only these services; nil or empty means all.
    public var services: [String]?
    /// Log lines attached to each failed service (default 20, at most 200).
    public var logLines: Int?
    /// Status of the named services (all when empty).
    public init(services: [String]? = nil, logLines: Int? = nil) {
        self.services = services
        self.logLines = logLines
    }
}

/// `status` result.
public struct StatusResult: Codable, Sendable, Equatable {
    /// The agent answering.
    public var agent: AgentInfo
    /// When the agent took this snapshot.
    public var at: Date
    /// The deployment lease, if one is held.
    public var lease: LeaseInfo?
    /// One entry per service in the desired set, sorted by name.
    public var services: [ServiceStatus]
    /// Builds a status result.
    public init(agent: AgentInfo, at: Date, lease: LeaseInfo?, services: [ServiceStatus]) {
        self.agent = agent
        self.at = at
        self.lease = lease
        self.services = services
    }
}

/// What the process of a service is doing.
public enum ServiceState: String, Codable, Sendable {
    /// No process, none wanted (or an explicit stop).
    case stopped
    /// A process runs.
    case running
    /// SIGTERM sent; waiting for it to exit before SIGKILL.
    case stopping
    /// Exited unexpectedly; a restart is scheduled at `nextRestartAt`.
    case backoff
    /// Too many quick failures: no more restarts until an explicit start.
    case failed
    /// Held before its start until its start gates pass (`waitingFor` says on what).
    case waiting
}

/// Health as the checks see it.
public enum HealthState: String, Codable, Sendable {
    /// No check is configured.
    case none
    /// Not checked yet, or in the start grace without a verdict.
    case unknown
    /// The last `healthyThreshold` probes succeeded.
    case healthy
    /// The last `unhealthyThreshold` probes (after the grace) failed.
    case unhealthy
}

/// How a service's process last ended.
public struct ExitRecord: Codable, Sendable, Equatable {
    /// When the agent saw it end.
    public var at: Date
    /// Exit code, when it exited by itself (a JVM draining on SIGTERM exits 143).
    public var code: Int32?
    /// Signal number, when a signal killed it.
    public var signal: Int32?
    /// True when the agent asked it to stop (stop/restart), false for a crash.
    public var requested: Bool
    /// The step of the stop sequence that ended it: `SIGTERM` or `SIGKILL`, nil for a crash.
    public var stopStep: String?
    /// False when the process was adopted from an earlier agent, whose exit status only its
    /// parent could read: the agent saw it disappear but not how.
    public var statusKnown: Bool
    /// How long it had run, in seconds.
    public var ranSeconds: Double?

    /// Builds an exit record.
    public init(at: Date, code: Int32?, signal: Int32?, requested: Bool, stopStep: String?,
                statusKnown: Bool, ranSeconds: Double?) {
        self.at = at
        self.code = code
        self.signal = signal
        self.requested = requested
        self.stopStep = stopStep
        self.statusKnown = statusKnown
        self.ranSeconds = ranSeconds
    }

    /// "exit 143 after SIGTERM", "killed by signal 9", ...
    public var summary: String {
        var text: String
        if let code { text = "exit \(code)" } else if let signal { text = "killed by signal \(signal)" } else { text = "ended (status unknown)" }
        if let stopStep { text += " after \(stopStep)" }
        return text
    }
}

/// Health details of one service.
public struct HealthStatus: Codable, Sendable, Equatable {
    /// The verdict.
    public var state: HealthState
    /// When `state` last changed.
    public var since: Date?
    /// When the last probe finished.
    public var lastCheckAt: Date?
    /// Why the last probe failed, if it did.
    public var lastError: String?
    /// Builds a health status.
    public init(state: HealthState, since: Date? = nil, lastCheckAt: Date? = nil, lastError: String? = nil) {
        self.state = state
        self.since = since
        self.lastCheckAt = lastCheckAt
        self.lastError = lastError
    }
}

/// Desired and actual state of one service, measured by the agent itself.
public struct ServiceStatus: Codable, Sendable, Equatable {
    /// Service name.
    public var name: String
    /// What should be.
    public var desired: DesiredState
    /// What is.
    public var state: ServiceState
    /// Process id while a process exists.
    public var pid: Int32?
    /// When the current process started.
    public var startedAt: Date?
    /// Seconds since `startedAt`.
    public var uptimeSeconds: Double?
    /// Automatic restarts after unexpected exits, over the service's life on this host.
    public var restarts: Int
    /// How the previous process ended.
    public var lastExit: ExitRecord?
    /// Release the current process was started from (the jar link's target at start).
    public var release: String?
    /// Release named by the applied spec.
    public var desiredRelease: String?
    /// Release the jar link points at now.
    public var activeRelease: String?
    /// The applied spec's revision (see `ServiceSpec.revision`).
    public var revision: String?
    /// The bk-job release version (`ServiceSpec.version`) of the spec the current process was
    /// started from; nil when nothing runs or the spec named none.
    public var version: String?
    /// False when the applied spec changed since the process started: a restart applies it.
    public var specCurrent: Bool
    /// True when this agent adopted the process from an earlier agent instead of starting it.
    public var adopted: Bool
    /// Health verdict and its history.
    public var health: HealthStatus
    /// Since when the service has been continuously healthy.
    public var healthySince: Date?
    /// Resident memory of the process in bytes.
    public var rssBytes: UInt64?
    /// CPU use in percent of one core since the previous status (or since start).
    public var cpuPercent: Double?
    /// When the next automatic restart happens, in `backoff`.
    public var nextRestartAt: Date?
    /// Why the service is `failed`.
    public var failedReason: String?
    /// In `waiting`: the services its start waits for (`job-config`), since when, and why the
    /// last check of its gates did not pass.
    public var waitingFor: [String]?
    public var waitingSince: Date?
    public var waitingReason: String?
    /// Last lines of the service's own log, for `failed` or `backoff` services.
    public var logTail: [String]?
    /// Last lines of its console (stdout/stderr) log, for `failed` or `backoff` services.
    public var consoleTail: [String]?

    /// A status with only the always-present fields set.
    public init(name: String, desired: DesiredState, state: ServiceState, restarts: Int = 0,
                specCurrent: Bool = true, adopted: Bool = false, health: HealthStatus = HealthStatus(state: .none)) {
        self.name = name
        self.desired = desired
        self.state = state
        self.restarts = restarts
        self.specCurrent = specCurrent
        self.adopted = adopted
        self.health = health
    }
}
