import Shared

/// A happening worth a line in the agent log.
enum ServiceReport: Equatable {
    /// A new agent found the service's process still running and took it over.
    case adopted(pid: Int32)
    /// The process recorded before a reboot is gone; no failure is counted.
    case hostRebooted
    case started(pid: Int32, reason: SpawnReason)
    case spawnFailed(message: String)
    /// The first stop step was taken; the next follows after `timeoutSeconds`.
    case stopping(pid: Int32, timeoutSeconds: Double)
    /// The process outlived the stop timeout: the sequence moved on to `step`.
    case stopEscalated(pid: Int32, step: StopStep)
    case stopped(pid: Int32, exit: ExitRecord)
    case exitedUnexpectedly(pid: Int32, exit: ExitRecord)
    case restartScheduled(afterSeconds: Double)
    case failed(reason: String)
    /// The applied spec differs from the running process's; the controller orders the restart.
    case restartNeeded
    /// A start is held at its gates (first check, or the reason changed).
    case waiting(for: [String], reason: String)
    /// The gates passed after holding a start this long.
    case gatesPassed(afterSeconds: Double)
    case healthChanged(from: HealthState, to: HealthState, error: String?)
}
