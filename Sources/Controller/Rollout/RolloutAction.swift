import Shared

/// One instance a rollout acts on.
public struct InstanceKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var host: String
    public var service: String

    public init(host: String, service: String) {
        self.host = host
        self.service = service
    }

    /// `service@host`, the way instances are named in messages.
    public var description: String { "\(service)@\(host)" }

    public static func < (lhs: InstanceKey, rhs: InstanceKey) -> Bool {
        (lhs.service, lhs.host) < (rhs.service, rhs.host)
    }
}

extension DesiredInstance {
    /// This instance's key.
    public var key: InstanceKey { InstanceKey(host: host.name, service: service) }
}

/// A jar to send and where it goes.
public struct UploadItem: Sendable, Equatable {
    public var artifact: ReleaseArtifact
    public var remotePath: String
}

/// What the rollout machine asks its driver to do. Every action but `emit` ends in exactly one
/// `RolloutInput` fed back to the machine.
public enum RolloutAction: Sendable, Equatable {
    /// Report progress (no answer).
    case emit(RolloutEvent)
    /// Send jars into their releases on a host.
    case upload(host: String, items: [UploadItem])
    /// Ask a host's agent for the status of `services`.
    case askStatus(host: String, services: [String])
    /// Replace an instance's managed files.
    case write(InstanceKey, [DesiredFile])
    /// Write configuration a host holds for `service` (served to it by job-config).
    case publish(host: String, service: String, files: [DesiredFile])
    /// Point an instance's jar link at a release.
    case activate(InstanceKey, release: String)
    /// Hand the agent an instance's spec.
    case apply(InstanceKey, ServiceSpec)
    /// Start, stop or restart an instance.
    case control(InstanceKey, AgentMethod)
    /// Put back a file as it was before the rollout (removed when it did not exist).
    case restore(InstanceKey, FileChange)
    /// Read the last lines of an instance's log, for its failure report.
    case fetchLogs(InstanceKey, lines: Int)
    /// Stop services no longer placed on a host and drop them from its agent, keeping `keep`.
    case stopRemoved(host: String, services: [String], keep: [ServiceSpec])
}

/// What happened, fed to the rollout machine.
public enum RolloutInput: Sendable, Equatable {
    /// Time passed (the driver was idle for a poll interval).
    case tick
    case uploaded(host: String, error: String?, sent: UInt64? = nil)
    /// A host's answer to `askStatus`, or nil when it did not answer.
    case statuses(host: String, [ServiceStatus]?)
    case stepDone(InstanceKey, StepResult)
    case stepFailed(InstanceKey, reason: String)
    case logs(InstanceKey, [String], excerpts: [LogExcerpt] = [])
    case stoppedRemoved(host: String, error: String?)
    case published(host: String, service: String, error: String?)
}

/// How one instance step ended, with what the machine needs from the agent's answer.
public enum StepResult: Sendable, Equatable {
    case wrote
    case restored
    case activated(unchanged: Bool)
    /// `started` when the agent started a stopped service on apply; `lastExit` is its exit
    /// record right after, the baseline for noticing exits during start-up.
    case applied(started: Bool, lastExit: ExitRecord?)
    /// The instance's status right after a control request.
    case controlled(ServiceStatus?)
}

/// What a rollout does to the instances of its plan.
public enum RolloutMode: Sendable, Equatable {
    /// Bring instances to the plan: files, release, spec, then start or restart.
    case converge
    /// Only send `method` to each instance; with `waitHealthy`, each must be healthy again.
    case control(AgentMethod, waitHealthy: Bool)
}
