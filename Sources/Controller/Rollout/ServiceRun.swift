import Shared

/// Where one service of the current wave stands.
struct ServiceRun: Sendable {
    enum Phase: Sendable, Equatable {
        /// Waiting for its dependencies.
        case gate(Gate)
        /// Writing the configuration other hosts hold for it (job-config's), before any instance
        /// of it starts; the hosts not done yet.
        case publishing(Set<String>)
        /// New, stopped or failed instances starting together.
        case starting
        /// Running instances being replaced a batch at a time; `next` indexes `restarts`.
        case replacing(next: Int)
        /// Failed replacements going back to what they ran before.
        case reverting
        /// Current instances that are not ready yet, waited for.
        case settling
        case done
    }

    /// A service waiting for its dependencies.
    struct Gate: Sendable, Equatable {
        /// How long it may wait, and until when.
        var limit: Duration
        var deadline: Duration
        /// The last status request sent before it began waiting: only later answers count.
        var after: Int
        /// What it last said it waits for.
        var announced: [String]?
    }

    let name: String
    var phase: Phase = .starting
    let starts: [InstanceChange]
    let restarts: [InstanceChange]
    let settling: [InstanceChange]
    /// Instances whose job in the current phase has not ended.
    var active: Set<InstanceKey> = []
    /// Replacements of the current batch that failed.
    var failedInBatch: [InstanceChange] = []
    var outcome = RolloutResult()

    init(name: String, changes: [InstanceChange]) {
        self.name = name
        starts = changes.filter { $0.action == .start }
        restarts = changes.filter { $0.action == .restart }
        settling = changes.filter { $0.settling != nil }
    }

    var isDone: Bool { phase == .done }
}

extension RolloutMachine {
    /// The services `service` waits for at its gate (none when only controlling instances).
    func dependencies(of service: String) -> [String] {
        guard plan.mode == .converge else { return [] }
        return desired.catalog.service(service)?.dependsOn ?? []
    }

    mutating func enterGate(_ service: String) {
        let dependencies = dependencies(of: service)
        if dependencies.allSatisfy({ desired.instances(of: $0).isEmpty }) { return gateOpened(service) }
        let limit = dependencies.flatMap { desired.instances(of: $0) }.map(healthDeadline).max() ?? .seconds(180)
        runs[service]?.phase = .gate(ServiceRun.Gate(limit: limit, deadline: now + limit, after: polls.issued))
    }

    /// Judges the gate of `service` once every host it depends on has answered since it began.
    mutating func evaluateGate(_ service: String) {
        guard let run = runs[service], case .gate(var gate) = run.phase else { return }
        let dependencies = dependencies(of: service)
        let hosts = Set(dependencies.flatMap { desired.instances(of: $0) }.map(\.host.name))
        guard hosts.allSatisfy({ polls.answered[$0, default: 0] > gate.after }) else { return }
        switch Readiness.gate(dependencies: dependencies, desired: desired, statuses: polls.latest, policy: options.policy) {
        case .open:
            if gate.announced != nil { emit(.gateOpen(service: service)) }
            gateOpened(service)
        case .blocked(let reason):
            holdBack(service, because: "dependency not ready: \(reason)")
        case .waiting(let reasons):
            if gate.announced != reasons {
                emit(.waiting(service: service, for: reasons))
                gate.announced = reasons
                runs[service]?.phase = .gate(gate)
            }
            if now >= gate.deadline {
                holdBack(service, because: "dependencies not ready after \(DurationText.format(gate.limit)): "
                            + reasons.joined(separator: "; "))
            }
        }
    }

    /// Fails every instance of a service whose gate will not open.
    private mutating func holdBack(_ service: String, because reason: String) {
        guard var run = runs[service] else { return }
        let held = run.starts.map { ($0, "not started") } + run.restarts.map { ($0, "not started") }
            + run.settling.map { ($0, "not ready") }
        run.outcome.failures = held.map { change, verdict in
            InstanceFailure(host: change.instance.host.name, service: service, reason: "\(verdict): \(reason)",
                            logPath: nil, logLines: [])
        }
        run.phase = .done
        runs[service] = run
        serviceDone()
    }

    /// The gate is open: first the served configuration, then the starts.
    private mutating func gateOpened(_ service: String) {
        let writes = plan.hosts.compactMap { hostPlan -> (String, [DesiredFile])? in
            let files = hostPlan.files.filter { $0.served && $0.service == service }.map(\.file)
            return files.isEmpty ? nil : (hostPlan.host.name, files)
        }
        guard plan.mode == .converge, !writes.isEmpty else { return beginStarts(service) }
        runs[service]?.phase = .publishing(Set(writes.map(\.0)))
        for (host, files) in writes { pending.append(.publish(host: host, service: service, files: files)) }
    }

    /// One host holds `service`'s served configuration now (or failed to take it).
    mutating func published(_ host: String, _ service: String, error: String?) {
        guard let run = runs[service], case .publishing(var waiting) = run.phase, waiting.remove(host) != nil else { return }
        let names = plan.hosts.first { $0.host.name == host }?.files.filter { $0.served && $0.service == service }
            .map { $0.file.remotePath.split(separator: "/").last.map(String.init) ?? "" } ?? []
        if let error {
            runs[service]?.outcome.failures.append(InstanceFailure(host: host, service: service,
                reason: "writing \(names.joined(separator: ", ")) for \(service) failed: \(error)", logPath: nil, logLines: []))
        } else {
            emit(.step(instance: "\(service)@\(host)", what: "wrote \(names.joined(separator: ", ")) (served from this host)"))
        }
        runs[service]?.phase = .publishing(waiting)
        guard waiting.isEmpty else { return }
        if runs[service]?.outcome.failures.isEmpty ?? false { beginStarts(service) } else { serviceFinished(service) }
    }

    private mutating func beginStarts(_ service: String) {
        guard let run = runs[service] else { return }
        runs[service]?.phase = .starting
        runs[service]?.outcome.started = run.starts.map(\.instance.label)
        for change in run.starts { launch(change, .replace) }
        if run.starts.isEmpty { phaseEnded(service) }
    }

    /// Moves a service on once every job of its current phase has ended.
    mutating func phaseEnded(_ service: String) {
        guard let run = runs[service], run.active.isEmpty else { return }
        switch run.phase {
        case .starting:
            if run.outcome.failures.isEmpty { replaceBatch(service, from: 0) } else { serviceFinished(service) }
        case .replacing(let next):
            if run.failedInBatch.isEmpty { return replaceBatch(service, from: next) }
            let revertible = run.failedInBatch.filter { $0.previousRelease != nil }
            guard plan.mode == .converge, options.revertOnFailure, !revertible.isEmpty else { return serviceFinished(service) }
            runs[service]?.phase = .reverting
            for change in revertible { launch(change, .revert) }
        case .reverting, .settling:
            serviceFinished(service)
        case .gate, .publishing, .done:
            break
        }
    }

    private mutating func replaceBatch(_ service: String, from index: Int) {
        guard let run = runs[service] else { return }
        guard index < run.restarts.count else { return beginSettling(service) }
        let batch = Array(run.restarts[index..<min(index + max(1, options.maxParallel), run.restarts.count)])
        runs[service]?.phase = .replacing(next: index + batch.count)
        runs[service]?.outcome.restarted += batch.map(\.instance.label)
        for change in batch { launch(change, .replace) }
    }

    private mutating func beginSettling(_ service: String) {
        guard let run = runs[service] else { return }
        guard !run.settling.isEmpty else { return serviceFinished(service) }
        runs[service]?.phase = .settling
        runs[service]?.outcome.settled = run.settling.map(\.instance.label)
        for change in run.settling { launch(change, .settle) }
    }

    private mutating func serviceFinished(_ service: String) {
        runs[service]?.phase = .done
        serviceDone()
    }
}
