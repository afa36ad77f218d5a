import FoundationEssentials
import Shared
#if canImport(Glibc)
import Glibc
#endif

extension Supervisor {
    /// Replaces the desired set. Starts what should run and does not; stops what should not
    /// run or was pruned. Never restarts a running service whose spec changed: it reports
    /// `restart_needed` so the controller decides the order.
    func apply(_ request: ApplyRequest) throws(AgentFailure) -> ApplyResult {
        var seen = Set<String>()
        for spec in request.services {
            try SpecValidator.validate(spec)
            guard seen.insert(spec.name).inserted else {
                throw AgentFailure(.badRequest, "service \(spec.name) is listed twice", service: spec.name)
            }
        }
        var changes: [ServiceChange] = []
        for spec in request.services {
            let name = spec.name
            var kind = ServiceChange.Kind.added
            if var record = state.services[name] {
                kind = record.spec == spec ? .unchanged : .updated
                if record.spec.runDefinition != spec.runDefinition {
                    // A new definition is a new attempt: earlier crashes say nothing about it.
                    record.failedReason = nil
                    record.failures.reset()
                }
                record.spec = spec
                record.pendingRemoval = false
                state.services[name] = record
            } else {
                state.services[name] = ServiceRecord(spec: spec)
            }
            changes.append(ServiceChange(service: name, change: kind, action: converge(name)))
        }
        if request.prune {
            for name in state.services.keys.sorted() where !seen.contains(name) {
                state.services[name]?.spec.desired = .stopped
                state.services[name]?.pendingRemoval = true
                state.services[name]?.nextRestartAt = nil
                if state.services[name]?.process == nil {
                    state.services[name] = nil
                    changes.append(ServiceChange(service: name, change: .removed, action: .none))
                } else {
                    beginStop(name, timeout: nil, thenStart: false)
                    changes.append(ServiceChange(service: name, change: .removed, action: .stopping))
                }
            }
        }
        dirty = true
        persist()
        log.info("applied", ["services": String(request.services.count)])
        return ApplyResult(changes: changes, services: statuses(nil, logLines: 0))
    }

    /// Brings one service toward its desired state after an apply.
    private func converge(_ name: String) -> ServiceChange.Action {
        guard let record = state.services[name] else { return .none }
        switch (record.spec.desired, record.state) {
        case (.running, .stopped):
            do {
                try launch(name, countAsRestart: false)
                return .started
            } catch {
                return .startFailed
            }
        case (.running, .running):
            return record.runningSpec == record.spec.runDefinition ? .none : .restartNeeded
        case (.stopped, .running):
            beginStop(name, timeout: nil, thenStart: false)
            return .stopping
        case (.stopped, .backoff), (.stopped, .failed):
            state.services[name]?.nextRestartAt = nil
            return .none
        default:
            return .none
        }
    }

    /// Starts services; clears `failed` and the failure history (the operator asked).
    func start(_ request: ControlRequest) throws(AgentFailure) -> ControlResult {
        let names = try known(request.services)
        var firstFailure: AgentFailure?
        for name in names {
            wantRunning(name)
            guard let record = state.services[name] else { continue }
            if record.stopping != nil {
                state.services[name]?.stopping?.thenStart = true
            } else if record.process == nil {
                firstFailure = firstFailure ?? launchReporting(name)
            }
        }
        dirty = true
        persist()
        if let firstFailure { throw firstFailure }
        return ControlResult(services: statuses(names, logLines: 20))
    }

    /// Stops services (SIGTERM, stop timeout, SIGKILL); with `wait`, answers once they exited.
    func stop(_ request: ControlRequest) async throws(AgentFailure) -> ControlResult {
        let names = try known(request.services)
        for name in names {
            state.services[name]?.spec.desired = .stopped
            state.services[name]?.nextRestartAt = nil
            state.services[name]?.failedReason = nil
            beginStop(name, timeout: request.stopTimeoutSeconds, thenStart: false)
        }
        dirty = true
        persist()
        if request.wait { await waitForExit(names) }
        return ControlResult(services: statuses(names, logLines: 0))
    }

    /// Stops then starts services; clears `failed`.
    func restart(_ request: ControlRequest) async throws(AgentFailure) -> ControlResult {
        let names = try known(request.services)
        var firstFailure: AgentFailure?
        for name in names {
            wantRunning(name)
            if state.services[name]?.process != nil {
                beginStop(name, timeout: request.stopTimeoutSeconds, thenStart: true)
            } else {
                firstFailure = firstFailure ?? launchReporting(name)
            }
        }
        dirty = true
        persist()
        if request.wait { await waitForExit(names) }
        if let firstFailure { throw firstFailure }
        return ControlResult(services: statuses(names, logLines: 20))
    }

    /// An operator's start or restart: desired running, and a clean slate (no `failed`, no
    /// failure history, no pending backoff).
    private func wantRunning(_ name: String) {
        state.services[name]?.spec.desired = .running
        state.services[name]?.failedReason = nil
        state.services[name]?.failures.reset()
        state.services[name]?.nextRestartAt = nil
    }

    /// Launches now; returns the failure to report instead of throwing, so the other services
    /// of the same request are still started.
    private func launchReporting(_ name: String) -> AgentFailure? {
        do {
            try launch(name, countAsRestart: false)
            return nil
        } catch let failure as AgentFailure {
            return failure
        } catch {
            return AgentFailure(.spawnFailed, String(describing: error), service: name)
        }
    }

    /// First step of a stop: SIGTERM now, SIGKILL from ``tick()`` after the timeout.
    func beginStop(_ name: String, timeout: Double?, thenStart: Bool) {
        guard let record = state.services[name], let process = record.process else { return }
        if record.stopping != nil {
            state.services[name]?.stopping?.thenStart = thenStart
            return
        }
        let now = Date()
        let seconds = max(timeout ?? record.spec.stopTimeoutSeconds, 0)
        let first = StopStep.terminate
        signal(process, first.signal)
        state.services[name]?.stopping = StopRecord(since: now, deadline: now.addingTimeInterval(seconds),
                                                   step: first, thenStart: thenStart)
        log.info("stopping: \(first.rawValue)", ["service.name": name, "pid": String(process.pid), "timeout.seconds": String(seconds)])
        dirty = true
    }

    /// Suspends until none of `names` has a stop in progress.
    private func waitForExit(_ names: [String]) async {
        for name in names {
            while state.services[name]?.stopping != nil {
                await withCheckedContinuation { continuation in
                    stopWaiters[name, default: []].append(continuation)
                }
            }
        }
    }

    /// The names, checked: safe, and in the desired set.
    private func known(_ names: [String]) throws(AgentFailure) -> [String] {
        guard !names.isEmpty else { throw AgentFailure(.badRequest, "name at least one service") }
        for name in names {
            guard SafeName.isValid(name) else { throw AgentFailure(.invalidName, "invalid service name \(name)", service: name) }
            guard state.services[name] != nil else {
                let list = state.services.keys.sorted().joined(separator: ", ")
                throw AgentFailure(.unknownService, "\(name) is not supervised here (known: \(list.isEmpty ? "none" : list)); apply it first",
                                   service: name)
            }
        }
        return names
    }
}
