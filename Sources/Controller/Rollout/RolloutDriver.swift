import Shared

/// Carries out a `RolloutMachine`'s actions against the hosts and feeds back what happened.
/// Steps run concurrently; when nothing is in flight the driver sleeps one poll interval on
/// `clock` and tells the machine that time passed. The machine decides everything else.
public struct RolloutDriver<C: Clock>: Sendable where C.Duration == Duration {
    public let hosts: [String: any FleetHost]
    public let clock: C
    public let emit: @Sendable (RolloutEvent) -> Void

    public init(hosts: [String: any FleetHost], clock: C, events: @escaping @Sendable (RolloutEvent) -> Void) {
        self.hosts = hosts
        self.clock = clock
        self.emit = events
    }

    /// Runs `machine` to its end and returns what the rollout did.
    public func run(_ machine: RolloutMachine) async -> RolloutResult {
        var machine = machine
        let start = clock.now
        await withTaskGroup(of: RolloutInput.self) { group in
            var inFlight = 0
            func launch(_ actions: [RolloutAction]) {
                for action in actions {
                    if case .emit(let event) = action {
                        emit(event)
                        continue
                    }
                    inFlight += 1
                    group.addTask { await perform(action) }
                }
            }
            launch(machine.start(at: start.duration(to: clock.now)))
            while !machine.isFinished {
                let input: RolloutInput
                if inFlight > 0, let next = await group.next() {
                    inFlight -= 1
                    input = next
                } else {
                    try? await clock.sleep(for: machine.options.pollInterval)
                    input = .tick
                }
                launch(machine.handle(input, at: start.duration(to: clock.now)))
            }
        }
        return machine.result
    }

    /// Does one action and says how it ended. A host that is not connected fails every step.
    func perform(_ action: RolloutAction) async -> RolloutInput {
        switch action {
        case .emit:
            return .tick
        case let .upload(name, items):
            guard let host = hosts[name] else { return .uploaded(host: name, error: "host is not connected") }
            do {
                let stats = try await host.upload(items.map { ($0.artifact, $0.remotePath) }) { sent, total in
                    emit(.uploadProgress(host: name, sent: sent, total: total))
                }
                return .uploaded(host: name, error: nil, sent: stats.sentBytes)
            } catch {
                return .uploaded(host: name, error: "\(error)")
            }
        case let .askStatus(name, services):
            let result = try? await hosts[name]?.status(services: services)
            return .statuses(host: name, result?.services)
        case let .write(key, files):
            return await step(key) { host in
                try await host.write(files)
                return .wrote
            }
        case let .publish(name, service, files):
            guard let host = hosts[name] else { return .published(host: name, service: service, error: "host is not connected") }
            do {
                try await host.write(files)
                return .published(host: name, service: service, error: nil)
            } catch {
                return .published(host: name, service: service, error: "\(error)")
            }
        case let .restore(key, change):
            return await step(key) { host in
                try await host.restore(path: change.file.remotePath, content: change.exists ? change.old : nil,
                                       mode: change.file.mode)
                return .restored
            }
        case let .activate(key, release):
            return await step(key) { .activated(unchanged: try await $0.activate(key.service, release: release).unchanged) }
        case let .apply(key, spec):
            return await step(key) { host in
                let applied = try await host.apply([spec], prune: false)
                return .applied(started: applied.changes.contains { $0.service == key.service && $0.action == .started },
                                lastExit: applied.services.first { $0.name == key.service }?.lastExit)
            }
        case let .control(key, method):
            return await step(key) { .controlled(try await $0.control(method, [key.service]).services.first { $0.name == key.service }) }
        case let .fetchLogs(key, lines):
            guard let host = hosts[key.host] else { return .logs(key, []) }
            let excerpts = await FailureExcerpt.fetch(key.service, from: host, lines: lines)
            return .logs(key, excerpts.first { $0.source == .service }?.lines ?? [],
                         excerpts: excerpts.filter { !$0.lines.isEmpty }.map { LogExcerpt(path: $0.path, lines: $0.lines) })
        case let .stopRemoved(name, services, keep):
            guard let host = hosts[name] else { return .stoppedRemoved(host: name, error: "host is not connected") }
            do {
                try await host.control(.stop, services)
                try await host.apply(keep, prune: true)
                return .stoppedRemoved(host: name, error: nil)
            } catch {
                return .stoppedRemoved(host: name, error: "\(error)")
            }
        }
    }

    private func step(_ key: InstanceKey, _ body: (any FleetHost) async throws -> StepResult) async -> RolloutInput {
        guard let host = hosts[key.host] else { return .stepFailed(key, reason: "host is not connected") }
        do { return .stepDone(key, try await body(host)) } catch { return .stepFailed(key, reason: "\(error)") }
    }
}

/// Runs a plan against connected hosts on the real clock.
public struct Rollout: Sendable {
    let machine: RolloutMachine
    let driver: RolloutDriver<ContinuousClock>

    public init(plan: Plan, desired: DesiredFleet, hosts: [String: any FleetHost], options: RolloutOptions,
                events: @escaping @Sendable (RolloutEvent) -> Void) {
        machine = RolloutMachine(plan: plan, desired: desired, options: options)
        driver = RolloutDriver(hosts: hosts, clock: ContinuousClock(), events: events)
    }

    public func run() async -> RolloutResult { await driver.run(machine) }
}
