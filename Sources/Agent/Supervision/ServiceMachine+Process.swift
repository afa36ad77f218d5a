import FoundationEssentials
import Shared

/// The process's life: start-up of a new agent, spawns, exits, the stop and backoff timers.
extension ServiceMachine {
    /// A new agent process takes over. The recorded process is adopted when the pid is alive
    /// with the recorded start time (a later process reusing the pid has another; the driver
    /// gives no start time when the kernel rebooted); otherwise, after a reboot of the host it
    /// is simply gone, and else it ended while no agent watched, which counts like any exit.
    /// Then whatever should run and does not is started, and a saved stop or backoff timer is
    /// set again.
    mutating func resume(liveStartTicks: UInt64?, rebooted: Bool, at now: Date) -> [ServiceAction] {
        var actions: [ServiceAction] = []
        if let process = record.process {
            if liveStartTicks == process.startTicks {
                actions.append(.report(.adopted(pid: process.pid)))
                if let stop = record.stopping {
                    actions.append(.scheduleTimer(at: stop.deadline))
                } else if record.spec.health != nil {
                    actions += scheduleProbe(after: 0)
                }
                return actions
            }
            if rebooted {
                // Not a crash: the host went down. Start afresh without counting a failure.
                record.process = nil
                record.runningSpec = nil
                record.stopping = nil
                record.health = HealthTracker()
                actions.append(.report(.hostRebooted))
            } else {
                actions += exited(nil, at: now)
            }
        } else if rebooted && record.nextRestartAt != nil {
            // A restart pending when the host went down: the boot starts it afresh.
            record.nextRestartAt = nil
        } else if let due = record.nextRestartAt {
            actions.append(.scheduleTimer(at: due))
        }
        // A start held at the gates by the last agent is held again (since when, kept).
        if record.spec.desired == .running && (record.state == .stopped || record.state == .waiting) {
            actions += spawn(.start)
        }
        return actions
    }

    /// The process asked for runs: a fresh health verdict, and the first probe soon.
    mutating func spawned(pid: Int32, startTicks: UInt64, release: String?, at now: Date) -> [ServiceAction] {
        guard let reason = pendingSpawn else { return [] }
        pendingSpawn = nil
        ownChild = true
        record.process = ProcessRecord(pid: pid, startTicks: startTicks, startedAt: now, release: release,
                                       version: record.spec.version)
        record.runningSpec = record.spec.runDefinition
        record.health = HealthTracker(startedAt: now)
        record.nextRestartAt = nil
        record.stopping = nil
        record.waiting = nil
        if reason == .restart { record.restarts += 1 }
        var actions: [ServiceAction] = [.report(.started(pid: pid, reason: reason))]
        if record.spec.health != nil { actions += scheduleProbe(after: Self.earlyProbeInterval) }
        return actions
    }

    /// The process could not be started: counted like a crash at once, so a missing program
    /// ends in backoff and then `failed` rather than a tight loop.
    mutating func spawnFailed(error: String, at now: Date) -> [ServiceAction] {
        guard pendingSpawn != nil else { return [] }
        pendingSpawn = nil
        let message = "cannot start: \(error)"
        var actions: [ServiceAction] = [.report(.spawnFailed(message: message))]
        record.nextRestartAt = nil
        switch record.failures.recordExit(at: now, ranSeconds: 0, policy: record.spec.restart) {
        case .restart(let after):
            let due = now.addingTimeInterval(after)
            record.nextRestartAt = due
            actions.append(.scheduleTimer(at: due))
        case .giveUp(let reason):
            record.failedReason = "\(message); \(reason)"
        }
        return actions
    }

    /// Records how the process ended and decides what follows. After a requested stop any
    /// exit is clean (a JVM draining on SIGTERM exits 143): nothing, a start when it was a
    /// restart, or forgetting a pruned service. Otherwise it crashed: backoff, or `failed`.
    mutating func exited(_ outcome: ExitOutcome?, at now: Date) -> [ServiceAction] {
        guard let process = record.process else { return [] }
        ownChild = false
        probe = .idle
        var code: Int32?
        var signal: Int32?
        switch outcome {
        case .exited(let value): code = value
        case .signaled(let value): signal = value
        case nil: break
        }
        let stop = record.stopping
        let exit = ExitRecord(at: now, code: code, signal: signal, requested: stop != nil, stopStep: stop?.step.rawValue,
                              statusKnown: outcome != nil, ranSeconds: now.timeIntervalSince(process.startedAt))
        record.lastExit = exit
        record.process = nil
        record.runningSpec = nil
        record.stopping = nil
        record.health = HealthTracker(startedAt: nil)
        if let stop {
            var actions: [ServiceAction] = [.report(.stopped(pid: process.pid, exit: exit))]
            if record.pendingRemoval {
                actions.append(.forget)
            } else if stop.thenStart && record.spec.desired == .running {
                actions += spawn(.start)
            }
            return actions
        }
        var actions: [ServiceAction] = [.report(.exitedUnexpectedly(pid: process.pid, exit: exit))]
        guard record.spec.desired == .running && record.failedReason == nil else { return actions }
        switch record.failures.recordExit(at: now, ranSeconds: exit.ranSeconds ?? 0, policy: record.spec.restart) {
        case .restart(let after):
            let due = now.addingTimeInterval(after)
            record.nextRestartAt = due
            actions += [.report(.restartScheduled(afterSeconds: after)), .scheduleTimer(at: due)]
        case .giveUp(let reason):
            record.failedReason = reason
            actions.append(.report(.failed(reason: reason)))
        }
        return actions
    }

    /// The stop timeout passed: the next stop step. The backoff passed: restart. A held start:
    /// check its gates again. A timer that
    /// fires early (the wall clock moved back) is set again.
    mutating func timerFired(at now: Date) -> [ServiceAction] {
        if heldAtGates { return recheckGates() }
        if let stop = record.stopping, let process = record.process {
            guard let next = stop.step.next else { return [] }
            guard now >= stop.deadline else { return [.scheduleTimer(at: stop.deadline)] }
            record.stopping?.step = next
            return [.report(.stopEscalated(pid: process.pid, step: next)), .signal(next)]
        }
        guard record.process == nil, let due = record.nextRestartAt,
              record.spec.desired == .running, record.failedReason == nil else { return [] }
        guard now >= due else { return [.scheduleTimer(at: due)] }
        return spawn(.restart)
    }
}
