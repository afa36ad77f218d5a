import FoundationEssentials
import Shared

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
            if let machine = state.services[name] {
                kind = machine.record.spec == spec ? .unchanged : .updated
            } else {
                state.services[name] = ServiceMachine(spec: spec)
            }
            let outcome = feed(name, .applied(spec, at: Date()))
            changes.append(ServiceChange(service: name, change: kind, action: outcome.applyAction))
        }
        if request.prune {
            for name in state.services.keys.sorted() where !seen.contains(name) {
                let outcome = feed(name, .pruned(at: Date()))
                changes.append(ServiceChange(service: name, change: .removed,
                                             action: outcome.actions.contains(.forget) ? .none : .stopping))
            }
        }
        dirty = true
        persist()
        log.info("applied", ["services": String(request.services.count)])
        return ApplyResult(changes: changes, services: statuses(nil, logLines: 0))
    }

    /// Starts services; clears `failed` and the failure history (the operator asked).
    func start(_ request: ControlRequest) throws(AgentFailure) -> ControlResult {
        let names = try known(request.services)
        var firstFailure: AgentFailure?
        for name in names {
            firstFailure = firstFailure ?? feed(name, .startRequested).spawnFailure
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
            feed(name, .stopRequested(timeoutSeconds: request.stopTimeoutSeconds, at: Date()))
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
            let outcome = feed(name, .restartRequested(timeoutSeconds: request.stopTimeoutSeconds, at: Date()))
            firstFailure = firstFailure ?? outcome.spawnFailure
        }
        dirty = true
        persist()
        if request.wait { await waitForExit(names) }
        if let firstFailure { throw firstFailure }
        return ControlResult(services: statuses(names, logLines: 20))
    }

    /// Suspends until none of `names` has a stop in progress, or the agent shuts down.
    private func waitForExit(_ names: [String]) async {
        for name in names {
            while !waitsEnded && state.services[name]?.record.stopping != nil {
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

extension Supervisor.Outcome {
    /// What an apply did to one service, in the protocol's words.
    var applyAction: ServiceChange.Action {
        if actions.contains(.spawn(.start)) { return spawnFailure == nil ? .started : .startFailed }
        if actions.contains(.signal(.terminate)) { return .stopping }
        if actions.contains(.report(.restartNeeded)) { return .restartNeeded }
        return .none
    }
}
