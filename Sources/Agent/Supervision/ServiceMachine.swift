import FoundationEssentials
import Shared

/// The decisions about one service, as a value: ``ServiceEvent``s in, ``ServiceAction``s out.
///
/// It decides when to start, restart after backoff or give up as `failed`, how a stop
/// proceeds, what the health verdict is, and whether a process found at agent start-up is
/// still the one it started. It never reads a clock, never sleeps and makes no system call:
/// times come in with the events, and the ``Supervisor`` carries out the actions.
///
/// Its properties are read by the driver and changed only through ``handle(_:)`` (their
/// setters stay internal because the decisions are spread over extensions in several files).
struct ServiceMachine: Equatable {
    /// What is saved and outlives the agent process: spec, process, stop, backoff, failures,
    /// health.
    var record: ServiceRecord
    /// True when this agent process spawned the current process, so only it can read the exit
    /// status (waitpid); an adopted process is watched through /proc instead.
    var ownChild = false
    /// Where probing the current process stands.
    var probe = ProbePhase.idle
    /// A spawn that was asked for and not answered yet.
    var pendingSpawn: SpawnReason?

    /// Delay between probes while a service has no health verdict yet: a rollout's waves wait
    /// on that verdict, so it comes soon after the service is up.
    static let earlyProbeInterval = 0.25
    /// Shortest delay between probes once there is a verdict, whatever the spec says.
    static let minimumProbeInterval = 0.2

    /// A service just applied, with nothing running.
    init(spec: ServiceSpec) {
        record = ServiceRecord(spec: spec)
    }

    /// A service as saved by an earlier agent process: no child of ours, no probe going.
    init(record: ServiceRecord) {
        self.record = record
    }

    /// The actual state, as reported in status.
    var state: ServiceState { record.state }

    /// True while a process runs that an earlier agent started.
    var adopted: Bool { record.process != nil && !ownChild }

    /// Takes one event and returns what to do, in order.
    mutating func handle(_ event: ServiceEvent) -> [ServiceAction] {
        let saved = record
        var actions: [ServiceAction]
        switch event {
        case .agentStarted(let liveStartTicks, let rebooted, let now):
            actions = resume(liveStartTicks: liveStartTicks, rebooted: rebooted, at: now)
        case .applied(let spec, let now): actions = apply(spec, at: now)
        case .pruned(let now): actions = prune(at: now)
        case .startRequested: actions = start()
        case .stopRequested(let timeout, let now): actions = stop(timeout: timeout, at: now)
        case .restartRequested(let timeout, let now): actions = restart(timeout: timeout, at: now)
        case .spawned(let pid, let startTicks, let release, let now):
            actions = spawned(pid: pid, startTicks: startTicks, release: release, at: now)
        case .spawnFailed(let error, let now): actions = spawnFailed(error: error, at: now)
        case .exited(let outcome, let now): actions = exited(outcome, at: now)
        case .probeDue: actions = probeDue()
        case .probed(let pid, let error, let now): actions = probed(pid: pid, error: error, at: now)
        case .gatesChecked(let failure, let now): actions = gatesChecked(failure: failure, at: now)
        case .timerFired(let now): actions = timerFired(at: now)
        }
        if needsSaving(comparedTo: saved) { actions.append(.persist) }
        return actions
    }

    /// Any change to the record is saved, except a probe that left the verdict as it was:
    /// probes come every few seconds per service and their bookkeeping is not worth a write.
    private func needsSaving(comparedTo saved: ServiceRecord) -> Bool {
        var withoutHealth = record
        withoutHealth.health = saved.health
        return withoutHealth != saved || record.health.state != saved.health.state
    }

    /// Asks for a spawn unless one is already on its way (or held at the gates): at once
    /// without start gates, else after a check of the gates says they pass.
    mutating func spawn(_ reason: SpawnReason) -> [ServiceAction] {
        guard pendingSpawn == nil else { return [] }
        pendingSpawn = reason
        guard !record.spec.startGates.isEmpty else { return [.spawn(reason)] }
        // Past a backoff's due time: what holds the start now is the gate.
        record.nextRestartAt = nil
        if record.waiting == nil { record.waiting = GateWait() }
        return [.checkGates(record.spec.startGates)]
    }

    /// Sets the probe timer.
    mutating func scheduleProbe(after seconds: Double) -> [ServiceAction] {
        probe = .waiting
        return [.scheduleProbe(afterSeconds: seconds)]
    }
}

/// How probing of a service's current process stands.
enum ProbePhase: Equatable {
    /// Nothing scheduled: no process, no health check, or a stop in progress.
    case idle
    /// The probe timer is set.
    case waiting
    /// A probe of this pid is running.
    case probing(pid: Int32)
}

extension ServiceMachine: Codable {
    /// Decodes the saved record: the state file holds records, not machines.
    init(from decoder: any Decoder) throws {
        self.init(record: try ServiceRecord(from: decoder))
    }

    /// Encodes the record alone; the rest belongs to the agent process that runs.
    func encode(to encoder: any Encoder) throws {
        try record.encode(to: encoder)
    }
}
