import Foundation
import Shared

/// Applies a plan: uploads first (nothing live changes), then waves in order. Within a wave each
/// service waits at its gate until its dependencies are ready on every host, then starts its new
/// instances together and replaces running ones `maxParallel` at a time, each gated on health.
/// The first failure stops the rollout; healthy instances keep running.
public final class Rollout: Sendable {
    let plan: Plan
    let desired: DesiredFleet
    let hosts: [String: any FleetHost]
    let options: RolloutOptions
    let emit: @Sendable (RolloutEvent) -> Void

    public init(plan: Plan, desired: DesiredFleet, hosts: [String: any FleetHost], options: RolloutOptions,
                events: @escaping @Sendable (RolloutEvent) -> Void) {
        self.plan = plan
        self.desired = desired
        self.hosts = hosts
        self.options = options
        self.emit = events
    }

    public func run() async -> RolloutResult {
        var result = RolloutResult()
        let upload = await uploadAll()
        result.uploadedBytes = upload.bytes
        if !upload.failures.isEmpty {
            result.failures = upload.failures
            return result
        }
        for (index, wave) in plan.waves.enumerated() {
            let work = wave.filter { plan.changes(of: $0).contains { $0.action != .none || $0.settling != nil } }
            if work.isEmpty { continue }
            emit(.wave(index: index + 1, count: plan.waves.count, services: work))
            let outcomes = await withTaskGroup(of: ServiceOutcome.self) { group in
                for service in work { group.addTask { await self.roll(service) } }
                var all: [ServiceOutcome] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            for outcome in outcomes {
                result.failures += outcome.failures
                result.started += outcome.started
                result.restarted += outcome.restarted
                result.reverted += outcome.reverted
                result.settled += outcome.settled
            }
            if !result.failures.isEmpty { return result }
        }
        result.failures += await stopRemoved()
        return result
    }

    // MARK: Uploads

    private func uploadAll() async -> (bytes: UInt64, failures: [InstanceFailure]) {
        await withTaskGroup(of: (UInt64, InstanceFailure?).self) { group in
            for hostPlan in plan.hosts where !hostPlan.uploads.isEmpty {
                guard let host = hosts[hostPlan.host.name] else { continue }
                group.addTask {
                    let items = hostPlan.uploads.map { artifact in
                        (artifact: artifact, remotePath: self.desired.instances(on: hostPlan.host.name)
                            .first { $0.artifact == artifact }?.releaseJar ?? "")
                    }
                    self.emit(.uploading(host: hostPlan.host.name, files: items.count, bytes: hostPlan.uploadBytes))
                    let clock = ContinuousClock(), start = clock.now
                    do {
                        try await host.upload(items) { sent, total in
                            self.emit(.uploadProgress(host: hostPlan.host.name, sent: sent, total: total))
                        }
                        self.emit(.uploaded(host: hostPlan.host.name, bytes: hostPlan.uploadBytes,
                                            seconds: (clock.now - start).seconds))
                        return (hostPlan.uploadBytes, nil)
                    } catch {
                        return (0, InstanceFailure(host: hostPlan.host.name, service: "upload",
                                                   reason: "upload failed: \(error)", logPath: nil, logLines: []))
                    }
                }
            }
            var bytes: UInt64 = 0
            var failures: [InstanceFailure] = []
            for await (sent, failure) in group {
                bytes += sent
                if let failure { failures.append(failure) }
            }
            return (bytes, failures)
        }
    }

    // MARK: One service

    struct ServiceOutcome: Sendable {
        var failures: [InstanceFailure] = []
        var started: [String] = []
        var restarted: [String] = []
        var reverted: [String] = []
        var settled: [String] = []
    }

    private func roll(_ service: String) async -> ServiceOutcome {
        var outcome = ServiceOutcome()
        let all = plan.changes(of: service)
        let changes = all.filter { $0.action != .none }
        let settling = all.filter { $0.settling != nil }
        let dependencies = desired.catalog.service(service)?.dependsOn ?? []
        if let blocked = await waitAtGate(service, dependencies: dependencies) {
            let held = changes.map { ($0, "not started") } + settling.map { ($0, "not ready") }
            outcome.failures = held.map { change, verdict in
                InstanceFailure(host: change.instance.host.name, service: service, reason: "\(verdict): \(blocked)",
                                logPath: nil, logLines: [])
            }
            return outcome
        }
        // New, stopped or failed instances serve nobody yet: start them together.
        let starts = changes.filter { $0.action == .start }
        let startFailures = await withTaskGroup(of: InstanceFailure?.self) { group in
            for change in starts { group.addTask { await self.replace(change) } }
            var failures: [InstanceFailure] = []
            for await failure in group { if let failure { failures.append(failure) } }
            return failures
        }
        outcome.started = starts.map(\.instance.label)
        outcome.failures += startFailures
        if !startFailures.isEmpty { return outcome }

        // Running instances serve traffic: replace them a few at a time, each gated on health.
        let restarts = changes.filter { $0.action == .restart }
        var index = 0
        while index < restarts.count {
            let batch = Array(restarts[index..<min(index + max(1, options.maxParallel), restarts.count)])
            index += batch.count
            let failed = await withTaskGroup(of: (InstanceChange, InstanceFailure?).self) { group in
                for change in batch { group.addTask { (change, await self.replace(change)) } }
                var failed: [(InstanceChange, InstanceFailure)] = []
                for await (change, failure) in group { if let failure { failed.append((change, failure)) } }
                return failed
            }
            outcome.restarted += batch.map(\.instance.label)
            if failed.isEmpty { continue }
            outcome.failures += failed.map(\.1)
            if options.revertOnFailure {
                for (change, _) in failed where await revert(change) {
                    outcome.reverted.append(change.instance.label)
                }
            }
            return outcome
        }

        // Current instances that are not ready yet (restarted by their agent after a reboot,
        // or still starting): nothing to change, but the deploy is not done until they are up.
        let settleFailures = await withTaskGroup(of: InstanceFailure?.self) { group in
            for change in settling { group.addTask { await self.waitSettled(change.instance) } }
            var failures: [InstanceFailure] = []
            for await failure in group { if let failure { failures.append(failure) } }
            return failures
        }
        outcome.settled = settling.map(\.instance.label)
        outcome.failures += settleFailures
        return outcome
    }

    /// Waits until the gate of `service` opens. Returns why it never will, or nil once open.
    private func waitAtGate(_ service: String, dependencies: [String]) async -> String? {
        if dependencies.allSatisfy({ desired.instances(of: $0).isEmpty }) { return nil }
        let clock = ContinuousClock()
        let deadline = clock.now + gateDeadline(dependencies)
        var announced: [String]?
        while true {
            let statuses = await gatherStatuses(of: dependencies)
            switch Readiness.gate(dependencies: dependencies, desired: desired, statuses: statuses, policy: options.policy) {
            case .open:
                if announced != nil { emit(.gateOpen(service: service)) }
                return nil
            case .blocked(let reason):
                return "dependency not ready: \(reason)"
            case .waiting(let reasons):
                if announced != reasons {
                    emit(.waiting(service: service, for: reasons))
                    announced = reasons
                }
                if clock.now >= deadline {
                    return "dependencies not ready after \(DurationText.format(gateDeadline(dependencies))): "
                        + reasons.joined(separator: "; ")
                }
            }
            try? await Task.sleep(for: options.pollInterval)
        }
    }

    private func gateDeadline(_ dependencies: [String]) -> Duration {
        let deadlines = dependencies.flatMap { desired.instances(of: $0) }.map(healthDeadline)
        return deadlines.max() ?? .seconds(180)
    }

    private func healthDeadline(_ instance: DesiredInstance) -> Duration {
        options.healthDeadline ?? instance.healthDeadline
    }

    /// `statuses[host][service]` for every host running one of `services`. A host that does not
    /// answer simply contributes nothing (its instances count as not ready).
    private func gatherStatuses(of services: [String]) async -> [String: [String: ServiceStatus]] {
        let hostNames = Set(services.flatMap { desired.instances(of: $0) }.map(\.host.name))
        return await withTaskGroup(of: (String, [String: ServiceStatus]).self) { group in
            for name in hostNames {
                guard let host = hosts[name] else { continue }
                group.addTask {
                    let result = try? await host.status(services: services)
                    return (name, Dictionary((result?.services ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }))
                }
            }
            var all: [String: [String: ServiceStatus]] = [:]
            for await (name, statuses) in group { all[name] = statuses }
            return all
        }
    }

    // MARK: One instance

    /// Writes the instance's files, flips its release, hands the agent its spec, (re)starts it
    /// and waits for it to be healthy. Returns the failure, or nil.
    private func replace(_ change: InstanceChange) async -> InstanceFailure? {
        let instance = change.instance
        guard let host = hosts[instance.host.name] else {
            return failure(instance, "host is not connected", lines: [])
        }
        do {
            let files = plan.hosts.first { $0.host.name == instance.host.name }?.files
                .filter { $0.service == instance.service }.map(\.file) ?? []
            if !files.isEmpty {
                try await host.write(files)
                emit(.step(instance: instance.label, what: "wrote \(files.map { ($0.remotePath as NSString).lastPathComponent }.joined(separator: ", "))"))
            }
            let release = instance.spec.release ?? instance.artifact.id
            let activation = try await host.activate(instance.service, release: release)
            if !activation.unchanged {
                emit(.step(instance: instance.label, what: "activated release \(release)"))
            }
            // The agent starts a stopped service as soon as its spec is applied; a running one it
            // only marks for restart, and a failed one waits for an explicit start.
            let applied = try await host.apply([instance.spec], prune: false)
            let startedByApply = applied.changes.contains { $0.service == instance.service && $0.action == .started }
            var baseline = applied.services.first { $0.name == instance.service }?.lastExit
            if !startedByApply {
                let method: AgentMethod = change.action == .restart ? .restart : .start
                let control = try await host.control(method, [instance.service])
                baseline = control.services.first { $0.name == instance.service }?.lastExit
            }
            emit(.step(instance: instance.label, what: change.action == .restart ? "restarted" : "started"))
            return await waitHealthy(instance, on: host, baseline: baseline)
        } catch {
            return await failure(instance, "\(error)", on: host)
        }
    }

    private func waitHealthy(_ instance: DesiredInstance, on host: any FleetHost, baseline: ExitRecord?,
                             exitsAllowed: Bool = false) async -> InstanceFailure? {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + healthDeadline(instance)
        var last = "no status yet"
        while clock.now < deadline {
            let status = try? await host.status(services: [instance.service]).services.first { $0.name == instance.service }
            switch Readiness.progress(instance, status, baseline: baseline, exitsAllowed: exitsAllowed) {
            case .healthy:
                emit(.healthy(instance: instance.label, seconds: (clock.now - start).seconds))
                return nil
            case .failed(let reason):
                return await failure(instance, reason, on: host)
            case .pending(let reason):
                last = reason
            }
            try? await Task.sleep(for: options.pollInterval)
        }
        return await failure(instance, "not healthy within \(DurationText.format(healthDeadline(instance))) (\(last))", on: host)
    }

    /// Waits for an instance that needed no change to be ready. Unlike a start, exits on the way
    /// are not failures (its agent restarts it with backoff, e.g. while job-config comes back
    /// after a reboot); the agent giving up, or the deadline, is.
    private func waitSettled(_ instance: DesiredInstance) async -> InstanceFailure? {
        guard let host = hosts[instance.host.name] else {
            return failure(instance, "host is not connected", lines: [])
        }
        return await waitHealthy(instance, on: host, baseline: nil, exitsAllowed: true)
    }

    /// Puts a failed instance back on what it ran before. Returns whether it is healthy again.
    private func revert(_ change: InstanceChange) async -> Bool {
        let instance = change.instance
        guard let host = hosts[instance.host.name], let previous = change.previousRelease else { return false }
        do {
            for fileChange in plan.hosts.first(where: { $0.host.name == instance.host.name })?.files
                    .filter({ $0.service == instance.service }) ?? [] {
                if fileChange.exists, let old = fileChange.old {
                    try await host.restore(path: fileChange.file.remotePath, content: old, mode: fileChange.file.mode)
                } else if !fileChange.exists {
                    try await host.restore(path: fileChange.file.remotePath, content: nil, mode: fileChange.file.mode)
                }
            }
            try await host.activate(instance.service, release: previous)
            var spec = instance.spec
            spec.release = previous
            spec.revision = change.previousRevision
            try await host.apply([spec], prune: false)
            let control = try await host.control(.restart, [instance.service])
            var reverted = instance
            reverted.spec = spec
            let failure = await waitHealthy(reverted, on: host,
                                            baseline: control.services.first { $0.name == instance.service }?.lastExit)
            emit(.reverted(instance: instance.label, release: previous, healthy: failure == nil))
            return failure == nil
        } catch {
            emit(.reverted(instance: instance.label, release: previous, healthy: false))
            return false
        }
    }

    private func stopRemoved() async -> [InstanceFailure] {
        var failures: [InstanceFailure] = []
        for hostPlan in plan.hosts where !hostPlan.stops.isEmpty {
            guard let host = hosts[hostPlan.host.name] else { continue }
            do {
                try await host.control(.stop, hostPlan.stops)
                let keep = desired.instances(on: hostPlan.host.name).map(\.spec)
                try await host.apply(keep, prune: true)
                emit(.stopped(host: hostPlan.host.name, services: hostPlan.stops))
            } catch {
                failures += hostPlan.stops.map {
                    InstanceFailure(host: hostPlan.host.name, service: $0, reason: "stop failed: \(error)", logPath: nil, logLines: [])
                }
            }
        }
        return failures
    }

    // MARK: Failures

    private func failure(_ instance: DesiredInstance, _ reason: String, lines: [String]) -> InstanceFailure {
        let failure = InstanceFailure(host: instance.host.name, service: instance.service, reason: reason,
                                      logPath: instance.spec.logFile, logLines: lines)
        emit(.failed(failure))
        return failure
    }

    /// A failure with the instance's own last log lines attached.
    private func failure(_ instance: DesiredInstance, _ reason: String, on host: any FleetHost) async -> InstanceFailure {
        let logs = try? await host.logs(LogsRequest(service: instance.service, lines: options.logLines))
        return failure(instance, reason, lines: logs?.lines ?? [])
    }
}
