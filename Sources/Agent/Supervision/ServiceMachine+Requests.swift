import FoundationEssentials
import Shared

/// What the controller and operators ask for: apply, prune, start, stop, restart.
extension ServiceMachine {
    /// Takes the applied spec and moves toward its desired state. A running process whose
    /// definition changed is not restarted: `restartNeeded` leaves the order to the controller.
    mutating func apply(_ spec: ServiceSpec, at now: Date) -> [ServiceAction] {
        if record.spec.runDefinition != spec.runDefinition {
            // A new definition is a new attempt: earlier crashes say nothing about it.
            record.failedReason = nil
            record.failures.reset()
        }
        record.spec = spec
        record.pendingRemoval = false
        switch (spec.desired, record.state) {
        case (.running, .stopped):
            return spawn(.start)
        case (.running, .running):
            var actions: [ServiceAction] = []
            if record.runningSpec != spec.runDefinition { actions.append(.report(.restartNeeded)) }
            // A health check added to a running service starts being probed now.
            if probe == .idle && spec.health != nil { actions += scheduleProbe(after: 0) }
            return actions
        case (.stopped, .running):
            return beginStop(timeout: nil, thenStart: false, at: now)
        case (.stopped, .backoff), (.stopped, .failed):
            record.nextRestartAt = nil
            return []
        case (.stopped, .waiting):
            releaseHeldStart()
            return []
        default:
            return []
        }
    }

    /// Left out of an apply with `prune`: stopped, then forgotten once no process is left.
    mutating func prune(at now: Date) -> [ServiceAction] {
        record.spec.desired = .stopped
        record.pendingRemoval = true
        record.nextRestartAt = nil
        releaseHeldStart()
        guard record.process != nil else { return [.forget] }
        return beginStop(timeout: nil, thenStart: false, at: now)
    }

    /// An operator's start: a clean slate, then a spawn unless a process runs or a stop in
    /// progress is to be followed by one.
    mutating func start() -> [ServiceAction] {
        wantRunning()
        if record.stopping != nil {
            record.stopping?.thenStart = true
            return []
        }
        return record.process == nil ? spawn(.start) : []
    }

    /// An operator's stop: desired stopped, no restart pending, no `failed`, and the stop
    /// sequence begun.
    mutating func stop(timeout: Double?, at now: Date) -> [ServiceAction] {
        record.spec.desired = .stopped
        record.nextRestartAt = nil
        record.failedReason = nil
        releaseHeldStart()
        return beginStop(timeout: timeout, thenStart: false, at: now)
    }

    /// An operator's restart: a clean slate, then stop and start again (or start, when
    /// nothing runs).
    mutating func restart(timeout: Double?, at now: Date) -> [ServiceAction] {
        wantRunning()
        guard record.process != nil else { return spawn(.start) }
        return beginStop(timeout: timeout, thenStart: true, at: now)
    }

    /// Desired running, and no `failed`, failure history or pending backoff: the operator asked.
    private mutating func wantRunning() {
        record.spec.desired = .running
        record.failedReason = nil
        record.failures.reset()
        record.nextRestartAt = nil
    }

    /// The first stop step now, the next one when the timer fires after the stop timeout. A
    /// stop already under way keeps its deadline and only learns whether to start after it.
    mutating func beginStop(timeout: Double?, thenStart: Bool, at now: Date) -> [ServiceAction] {
        guard let process = record.process else { return [] }
        if record.stopping != nil {
            record.stopping?.thenStart = thenStart
            return []
        }
        let seconds = max(timeout ?? record.spec.stopTimeoutSeconds, 0)
        let deadline = now.addingTimeInterval(seconds)
        let first = StopStep.terminate
        record.stopping = StopRecord(since: now, deadline: deadline, step: first, thenStart: thenStart)
        probe = .idle
        return [.signal(first), .report(.stopping(pid: process.pid, timeoutSeconds: seconds)), .scheduleTimer(at: deadline)]
    }
}
