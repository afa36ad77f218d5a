import FoundationEssentials
import Shared

/// Something that happened to one service, fed to its ``ServiceMachine``. Every event that
/// needs the time carries it: the machine never reads a clock.
enum ServiceEvent: Equatable {
    /// A new agent process found this service in the saved state. `liveStartTicks` is the
    /// start time of the live process that now has the recorded pid (nil when there is none);
    /// `rebooted` says the host booted since the state was saved.
    case agentStarted(liveStartTicks: UInt64?, rebooted: Bool, at: Date)
    /// The controller applied this spec (new or changed or the same).
    case applied(ServiceSpec, at: Date)
    /// An apply with `prune` left this service out: stop it, then forget it.
    case pruned(at: Date)
    /// An operator's start.
    case startRequested
    /// An operator's stop; `timeoutSeconds` overrides the spec's stop timeout.
    case stopRequested(timeoutSeconds: Double?, at: Date)
    /// An operator's restart; `timeoutSeconds` overrides the spec's stop timeout.
    case restartRequested(timeoutSeconds: Double?, at: Date)
    /// The process asked for by ``ServiceAction/spawn(_:)`` runs.
    case spawned(pid: Int32, startTicks: UInt64, release: String?, at: Date)
    /// The process asked for by ``ServiceAction/spawn(_:)`` could not be started.
    case spawnFailed(error: String, at: Date)
    /// The process ended: how, when the agent could read its status (its own child), else nil.
    case exited(ExitOutcome?, at: Date)
    /// The probe timer set by ``ServiceAction/scheduleProbe(afterSeconds:)`` went off.
    case probeDue
    /// A probe of process `pid` finished: nil error means it passed.
    case probed(pid: Int32, error: String?, at: Date)
    /// A check asked for by ``ServiceAction/checkGates(_:)`` finished: nil means every gate
    /// passed, else why one did not.
    case gatesChecked(failure: String?, at: Date)
    /// The timer set by ``ServiceAction/scheduleTimer(at:)`` went off.
    case timerFired(at: Date)
}
