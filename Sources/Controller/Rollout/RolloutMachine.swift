import Shared

/// Every decision of a rollout, as a pure state machine: it takes the plan and what happened
/// (an upload ended, a status arrived, a step succeeded or failed, time passed) and answers with
/// what to do next. No I/O, no clock, no concurrency: `RolloutDriver` carries the actions out
/// and tells it the time.
///
/// The order it keeps: uploads first (nothing live changes), then waves in order. Within a wave
/// each service waits at its gate until its dependencies are ready on every host, then starts
/// its new instances together and replaces running ones `maxParallel` at a time, each gated on
/// health; current instances that are not ready yet are waited for last. The first failure ends
/// the rollout after its wave; healthy instances keep running.
public struct RolloutMachine: Sendable {
    public let plan: Plan
    public let desired: DesiredFleet
    public let options: RolloutOptions
    /// What the rollout did; final once `isFinished`.
    public private(set) var result = RolloutResult()
    public private(set) var isFinished = false

    enum Stage: Sendable, Equatable {
        case idle
        case uploading(pending: Set<String>)
        case wave(Int)
        case stopping(pending: Set<String>)
        case done
    }

    var stage = Stage.idle
    var runs: [String: ServiceRun] = [:]
    var jobs: [InstanceKey: InstanceJob] = [:]
    var polls = StatusPolls()
    /// Time since the rollout began, as the driver last reported it.
    var now: Duration = .zero
    var startedAt: Duration = .zero
    /// Actions decided while handling the current input.
    var pending: [RolloutAction] = []

    public init(plan: Plan, desired: DesiredFleet, options: RolloutOptions) {
        self.plan = plan
        self.desired = desired
        self.options = options
    }

    /// The first actions. `now` is the time since the rollout began (normally zero).
    public mutating func start(at now: Duration = .zero) -> [RolloutAction] {
        self.now = now
        startedAt = now
        let hostsWithUploads = plan.hosts.filter { !$0.uploads.isEmpty }
        if hostsWithUploads.isEmpty {
            beginWave(0)
        } else {
            stage = .uploading(pending: Set(hostsWithUploads.map(\.host.name)))
            for hostPlan in hostsWithUploads {
                let name = hostPlan.host.name
                let items = hostPlan.uploads.map { artifact in
                    UploadItem(artifact: artifact,
                               remotePath: desired.instances(on: name).first { $0.artifact == artifact }?.releaseJar ?? "")
                }
                emit(.uploading(host: name, files: items.count, bytes: hostPlan.uploadBytes))
                pending.append(.upload(host: name, items: items))
            }
        }
        if !isFinished { askDueStatuses() }
        return drain()
    }

    /// Takes in what happened at `now` (time since the rollout began) and returns what to do next.
    public mutating func handle(_ input: RolloutInput, at now: Duration) -> [RolloutAction] {
        self.now = now
        switch input {
        case .tick: break
        case let .uploaded(host, error, sent): uploaded(host, error: error, sent: sent)
        case let .statuses(host, services): answered(host, services)
        case let .stepDone(key, step): advance(key, after: step)
        case let .stepFailed(key, reason): failed(key, reason)
        case let .logs(key, lines, excerpts): logged(key, lines, excerpts: excerpts)
        case let .stoppedRemoved(host, error): stoppedRemoved(host, error: error)
        case let .published(host, service, error): published(host, service, error: error)
        }
        if !isFinished { askDueStatuses() }
        return drain()
    }

    // MARK: Stages

    private mutating func uploaded(_ host: String, error: String?, sent: UInt64?) {
        guard case .uploading(var waiting) = stage, waiting.remove(host) != nil else { return }
        let bytes = plan.hosts.first { $0.host.name == host }?.uploadBytes ?? 0
        if let error {
            result.failures.append(InstanceFailure(host: host, service: "upload", reason: "upload failed: \(error)",
                                                   logPath: nil, logLines: []))
        } else {
            result.uploadedBytes += bytes
            result.sentBytes += sent ?? bytes
            emit(.uploaded(host: host, bytes: bytes, seconds: (now - startedAt).seconds))
        }
        stage = .uploading(pending: waiting)
        guard waiting.isEmpty else { return }
        if result.failures.isEmpty { beginWave(0) } else { finish() }
    }

    /// Starts the first wave at or after `index` that has work, or the final stops.
    mutating func beginWave(_ index: Int) {
        for (offset, wave) in plan.waves.enumerated().dropFirst(index) {
            let work = wave.filter { plan.changes(of: $0).contains { $0.action != .none || $0.settling != nil } }
            if work.isEmpty { continue }
            stage = .wave(offset)
            emit(.wave(index: offset + 1, count: plan.waves.count, services: work))
            runs = Dictionary(uniqueKeysWithValues: work.map { ($0, ServiceRun(name: $0, changes: plan.changes(of: $0))) })
            for service in work { enterGate(service) }
            return
        }
        beginStops()
    }

    /// Called when a service of the current wave is done: the next wave starts once all are.
    mutating func serviceDone() {
        guard case .wave(let index) = stage, runs.values.allSatisfy(\.isDone) else { return }
        for service in plan.waves[index] {
            guard let outcome = runs[service]?.outcome else { continue }
            result.failures += outcome.failures
            result.started += outcome.started
            result.restarted += outcome.restarted
            result.reverted += outcome.reverted
            result.settled += outcome.settled
        }
        runs = [:]
        if result.failures.isEmpty { beginWave(index + 1) } else { finish() }
    }

    private mutating func beginStops() {
        let hostsWithStops = plan.hosts.filter { !$0.stops.isEmpty }
        guard !hostsWithStops.isEmpty else { return finish() }
        stage = .stopping(pending: Set(hostsWithStops.map(\.host.name)))
        for hostPlan in hostsWithStops {
            let keep = desired.instances(on: hostPlan.host.name).map(\.spec)
            pending.append(.stopRemoved(host: hostPlan.host.name, services: hostPlan.stops, keep: keep))
        }
    }

    private mutating func stoppedRemoved(_ host: String, error: String?) {
        guard case .stopping(var waiting) = stage, waiting.remove(host) != nil else { return }
        let services = plan.hosts.first { $0.host.name == host }?.stops ?? []
        if let error {
            result.failures += services.map {
                InstanceFailure(host: host, service: $0, reason: "stop failed: \(error)", logPath: nil, logLines: [])
            }
        } else {
            emit(.stopped(host: host, services: services))
        }
        stage = .stopping(pending: waiting)
        if waiting.isEmpty { finish() }
    }

    private mutating func finish() {
        stage = .done
        isFinished = true
    }

    // MARK: Helpers

    mutating func emit(_ event: RolloutEvent) { pending.append(.emit(event)) }

    private mutating func drain() -> [RolloutAction] {
        defer { pending = [] }
        return pending
    }

    /// The health deadline of an instance: the catalog's, unless the options override it.
    func healthDeadline(_ instance: DesiredInstance) -> Duration {
        options.healthDeadline ?? instance.healthDeadline
    }
}
