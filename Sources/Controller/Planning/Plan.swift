import Shared

/// What a deploy would change, per host, and the order it would start things in.
public struct Plan: Sendable {
    public var hosts: [HostPlan]
    /// Services grouped in start order: a wave starts only when the previous ones are healthy.
    public var waves: [[String]]
    public var order: StartOrder
    /// What the rollout does to the planned instances.
    public var mode: RolloutMode = .converge

    /// True when applying the plan would change something.
    public var hasChanges: Bool { hosts.contains { $0.hasChanges } }
    /// Hosts that could not be observed, and why: nothing is planned for them.
    public var unreached: [HostPlan] { hosts.filter { $0.unreached != nil } }
    /// What keeps the plan from being carried out on a host it reached (no disk space, a
    /// managed file that is a symbolic link), as `host: why` lines.
    public var problems: [String] { hosts.flatMap { host in host.cannot.map { "\(host.host.label): \($0)" } } }
    /// How many instances the observed hosts' agents keep running now.
    public var runningBefore = 0
    /// True when the plan stops every instance running on the fleet and starts none (a
    /// placement emptied by mistake looks like this): deploy asks for `--allow-stop-all`.
    public var stopsEverything: Bool {
        let stops = hosts.reduce(0) { $0 + $1.stops.count }
        return stops > 0 && stops == runningBefore && !hosts.contains { !$0.changes.isEmpty }
    }
    /// Instances that need no change but are not ready yet (see `InstanceChange.settling`).
    public var settling: [InstanceChange] { hosts.flatMap(\.settling) }

    /// Instance changes of `service`, across hosts.
    public func changes(of service: String) -> [InstanceChange] {
        hosts.flatMap(\.changes).filter { $0.instance.service == service }
    }
}

/// How services are sequenced.
public enum StartOrder: String, Sendable, CaseIterable {
    /// job-config first, then everything whose dependencies are healthy, in parallel.
    case fast
    /// The upstream runbook's sequence, each service healthy fleet-wide before the next.
    case runbook
}

/// The changes on one host.
public struct HostPlan: Sendable {
    public var host: FleetManifest.Host
    /// Jars to upload (their release is not on the host yet).
    public var uploads: [ReleaseArtifact]
    /// Files to create or replace.
    public var files: [FileChange]
    /// Instances to start or restart (and those already current, with action `.none`).
    public var changes: [InstanceChange]
    /// Services the agent runs here that the placement no longer puts here.
    public var stops: [String]
    /// Why the host could not be observed; nil when it was. Such a host has nothing planned.
    public var unreached: String?
    /// Set when the uploads do not fit on the host's disk: what is short, where. A deploy with
    /// such a host uploads nothing.
    public var noSpace: String?
    /// Managed files that are symbolic links on the host. jobfleet neither reads them (their
    /// target is not the host's copy of the file) nor writes over them; a deploy with such a
    /// host changes nothing until the operator has looked at each link and removed it.
    public var symlinks: [String] = []
    /// Services whose java here cannot run the release (`JavaCheck`): nothing is deployed
    /// until the host has a java the release's line accepts.
    public var javaProblems: [String] = []

    /// Why services cannot run as the host's `run_as` account; a deploy with such a host
    /// changes nothing.
    public var accountProblem: String?

    /// Why the host's services could not register with a Consul agent here (the line needs one,
    /// and none answers at the host's `consul` endpoint); a deploy with such a host changes nothing.
    public var consulProblem: String?

    /// Why this host's part of the plan cannot be carried out, one reason each; empty when it can.
    public var cannot: [String] {
        (accountProblem.map { ["services run as \(host.runAs) here, but \($0)"] } ?? [])
            + (consulProblem.map { [$0] } ?? [])
            + (noSpace.map { [$0] } ?? []) + javaProblems + symlinks.map {
            "\($0) is a symbolic link, not a file: jobfleet neither shows nor replaces what it points to; "
                + "check where it points, remove it (rm \($0)), then plan or deploy again"
        }
    }

    public var hasChanges: Bool {
        !uploads.isEmpty || !files.isEmpty || !stops.isEmpty || changes.contains { $0.action != .none }
    }

    /// Instances here that need no change but are not ready yet.
    public var settling: [InstanceChange] { changes.filter { $0.settling != nil } }

    /// Bytes to upload to this host.
    public var uploadBytes: UInt64 { uploads.reduce(0) { $0 + $1.size } }
}

/// A managed file that will be written.
public struct FileChange: Sendable, Equatable {
    public var service: String
    public var file: DesiredFile
    /// Current content, when the file exists and differs.
    public var old: [UInt8]?
    public var exists: Bool
    /// Configuration this host holds for `service` (which may run elsewhere): written when
    /// `service`'s turn comes, before its instances restart.
    public var served = false
}

/// What happens to one instance.
public struct InstanceChange: Sendable {
    public enum Action: String, Sendable {
        /// Already current and running.
        case none
        /// Not running (new, stopped or failed): start it.
        case start
        /// Running something else: replace it, rolling.
        case restart
    }

    public var instance: DesiredInstance
    public var action: Action
    /// Why, in the operator's words (empty for `.none`).
    public var reasons: [String]
    /// The release active before, for rollback.
    public var previousRelease: String?
    /// The revision the agent had before, for rollback.
    public var previousRevision: String? = nil
    /// Only for an instance that needs no change (`.none`) and is not ready — its agent restarted
    /// it after a reboot, or it is still starting: why. Deploy waits for it in its wave.
    public var settling: String? = nil
}
