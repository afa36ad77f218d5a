import FoundationEssentials
import Shared

/// A process the agent started or adopted, identified by pid plus start time.
struct ProcessRecord: Codable, Equatable {
    var pid: Int32
    /// /proc/PID/stat field 22 at start: tells our process from a later one reusing the pid.
    var startTicks: UInt64
    var startedAt: Date
    /// Release the jar link pointed at when it started.
    var release: String?
    /// The release version its spec named when it started (absent in older state files).
    var version: String?
}

/// A stop in progress: which step was last taken and when the next is due.
struct StopRecord: Codable, Equatable {
    var since: Date
    /// When SIGKILL follows if the process still runs.
    var deadline: Date
    /// The step last taken: SIGTERM, then SIGKILL after the deadline.
    var step: StopStep
    /// Start again once the process has exited (a restart).
    var thenStart: Bool
}

/// A start held at the spec's start gates: since the first check that did not pass, and why
/// the last one did not (nil before the first answer).
struct GateWait: Codable, Equatable {
    var since: Date?
    var reason: String?
}

/// Everything the agent knows about one service, persisted so that a new agent process
/// carries on where the last one stopped.
struct ServiceRecord: Codable, Equatable {
    /// The applied spec (with the desired state).
    var spec: ServiceSpec
    /// The spec the current process was started from.
    var runningSpec: ServiceSpec?
    var process: ProcessRecord?
    var stopping: StopRecord?
    var restarts = 0
    var lastExit: ExitRecord?
    var failures = FailureHistory()
    /// Set while `failed`: no automatic restarts until an explicit start.
    var failedReason: String?
    /// Set while in backoff.
    var nextRestartAt: Date?
    var health = HealthTracker()
    /// Pruned by an apply: forget the service once its process has exited.
    var pendingRemoval = false
    /// Set while a start is held at the spec's start gates.
    var waiting: GateWait?

    init(spec: ServiceSpec) { self.spec = spec }

    /// The actual state, derived so it can never disagree with the facts it comes from.
    var state: ServiceState {
        if process != nil { return stopping == nil ? .running : .stopping }
        if failedReason != nil { return .failed }
        if waiting != nil { return .waiting }
        if nextRestartAt != nil { return .backoff }
        return .stopped
    }
}

/// The agent's persisted state: desired services, what runs, the lease.
struct PersistedState: Codable, Equatable {
    /// Format version of this file.
    var format = 1
    /// The host's boot id when the state was written (`BootID.current`): a service whose
    /// process is gone after another boot was not a crash.
    var bootId: String?
    /// The kernel's own boot id then: pids of another kernel boot mean nothing. It differs
    /// from `bootId` only where `JOBFLEET_BOOT_ID` is set; absent in older state files.
    var kernelBootId: String?
    /// Saved as their records; a decoded machine has no child of this process and no probe.
    var services: [String: ServiceMachine] = [:]
    var lease = LeaseBook()
    /// Per service, releases activated, oldest first (bounded): tells which is "previous".
    var activations: [String: [String]] = [:]
    /// This host's key for revision fingerprints (64 hex digits), made once and kept: the
    /// controller keys its revisions with it, so a revision seen in a journal or a status
    /// cannot be checked against guessed secrets by anyone who lacks the host's state.
    var revisionKey: String?
}
