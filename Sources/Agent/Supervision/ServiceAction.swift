import FoundationEssentials
import Shared

/// What a ``ServiceMachine`` asks its driver to do. Actions that start something (a spawn, a
/// probe, a timer) are answered later by a ``ServiceEvent``.
enum ServiceAction: Equatable {
    /// Start the service's process from its spec; answer with `spawned` or `spawnFailed`.
    case spawn(SpawnReason)
    /// Check the start gates now (on another thread); answer with `gatesChecked`.
    case checkGates([StartGate])
    /// Send this step's signal to the service's process group.
    case signal(StopStep)
    /// Probe the health of process `pid` now; answer with `probed`.
    case probe(pid: Int32, check: HealthCheckSpec)
    /// Send `probeDue` after this many seconds, replacing any probe timer already set.
    case scheduleProbe(afterSeconds: Double)
    /// Send `timerFired` at this time, replacing any timer already set.
    case scheduleTimer(at: Date)
    /// The service's saved record changed: write the state file.
    case persist
    /// The service is gone from the desired set and has no process: drop it.
    case forget
    /// Tell the operator (the agent log).
    case report(ServiceReport)
}

/// Why a process is being started.
enum SpawnReason: Equatable {
    /// A start asked for by apply, an operator, a restart or the agent's own start-up.
    case start
    /// An automatic restart after backoff: counted in `restarts`.
    case restart
}
