import FoundationEssentials
import Shared
#if canImport(Glibc)
import Glibc
#endif

extension Supervisor {
    /// What feeding one event led to, for the requests that answer with it.
    struct Outcome {
        /// The actions the machine returned for the event itself.
        var actions: [ServiceAction] = []
        /// Why a spawn asked for along the way failed, if one did.
        var spawnFailure: AgentFailure?
    }

    /// Feeds `event` to the service's machine and carries out the actions it returns.
    @discardableResult
    func feed(_ name: String, _ event: ServiceEvent) -> Outcome {
        guard var machine = state.services[name] else { return Outcome() }
        let actions = machine.handle(event)
        state.services[name] = machine
        var outcome = Outcome(actions: actions)
        for action in actions {
            if let failure = perform(action, for: name) { outcome.spawnFailure = outcome.spawnFailure ?? failure }
        }
        return outcome
    }

    /// Carries out one action; returns the failure of a spawn, to report to the requester.
    private func perform(_ action: ServiceAction, for name: String) -> AgentFailure? {
        switch action {
        case .spawn:
            return feed(name, spawn(name)).spawnFailure
        case .signal(let step):
            if let machine = state.services[name], let process = machine.record.process {
                signal(process, step.signal, ownChild: machine.ownChild)
            }
        case .probe(let pid, let check):
            startProbe(name, pid: pid, check: check)
        case .scheduleProbe(let seconds):
            probeTimers[name]?.cancel()
            probeTimers[name] = after(seconds) { $0.feed(name, .probeDue) }
        case .scheduleTimer(let date):
            timers[name]?.cancel()
            timers[name] = after(date.timeIntervalSinceNow) { $0.feed(name, .timerFired(at: Date())) }
        case .persist:
            dirty = true
        case .forget:
            state.services[name] = nil
            timers.removeValue(forKey: name)?.cancel()
            probeTimers.removeValue(forKey: name)?.cancel()
            dirty = true
        case .report(let report):
            return record(report, for: name)
        }
        return nil
    }

    /// Runs `body` on this actor after `seconds` (at once when not positive), unless cancelled.
    private func after(_ seconds: Double, _ body: @escaping @Sendable (isolated Supervisor) -> Void) -> Task<Void, Never> {
        Task {
            if seconds > 0 {
                guard (try? await Task.sleep(for: .seconds(seconds))) != nil else { return }
            }
            guard !Task.isCancelled else { return }
            body(self)
        }
    }

    /// Starts the service's process from its spec; the event says how it went.
    private func spawn(_ name: String) -> ServiceEvent {
        let now = Date()
        guard let spec = state.services[name]?.record.spec else { return .spawnFailed(error: "not supervised", at: now) }
        try? FileIO.makeDirectories(paths.logDir(name))
        let request = SpawnRequest(
            argv: spec.command,
            environment: Spawner.environment(adding: spec.env),
            workingDirectory: spec.workingDirectory ?? paths.serviceDir(name),
            outputPath: paths.consoleLog(name))
        do {
            if let dir = request.workingDirectory, !FileIO.isDirectory(dir) {
                throw PosixError("working directory", path: dir, code: ENOENT)
            }
            let pid = try Spawner.spawn(request)
            return .spawned(pid: pid, startTicks: ProcStat.read(pid)?.startTicks ?? 0,
                            release: releases.activeRelease(of: name) ?? spec.release, at: now)
        } catch {
            return .spawnFailed(error: String(describing: error), at: now)
        }
    }

    /// Signals the service's whole process group (its session), so helpers a start script
    /// forked are stopped too. Checks the process is still ours first: a reused pid must never
    /// receive our signal (an unreaped child of ours cannot have been replaced).
    private func signal(_ process: ProcessRecord, _ number: Int32, ownChild: Bool) {
        guard ownChild || isAlive(process) else { return }
        if kill(-process.pid, number) != 0 { kill(process.pid, number) }
    }

    /// Runs one probe on its own thread; the result comes back as a `probed` event.
    private func startProbe(_ name: String, pid: Int32, check: HealthCheckSpec) {
        var environment: [String: String] = [:]
        var directory: String?
        if case .command = check.probe, let spec = state.services[name]?.record.spec {
            environment = Spawner.environment(adding: spec.env)
            directory = spec.workingDirectory ?? paths.serviceDir(name)
        }
        let env = environment
        let dir = directory
        Task {
            let error = await Threads.run {
                HealthProber.run(check.probe, timeout: check.timeoutSeconds, environment: env, workingDirectory: dir)
            }
            self.feed(name, .probed(pid: pid, error: error, at: Date()))
        }
    }
}
