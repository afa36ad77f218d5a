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
        case .checkGates(let gates):
            Task {
                let failure = await Threads.run { StartGateCheck.run(gates) }
                self.feed(name, .gatesChecked(failure: failure, at: Date()))
            }
        case .signal(let step):
            if let machine = state.services[name], let process = machine.record.process {
                signal(process, step.signal, ownChild: machine.ownChild)
            }
        case .probe(let pid, let check):
            startProbe(name, pid: pid, check: check)
        case .scheduleProbe(let seconds):
            probeDue[name] = Monotonic.now + seconds
            if seconds < Self.tickInterval { wake(name, after: seconds) }
        case .scheduleTimer(let date):
            timerDue[name] = date
            let seconds = date.timeIntervalSinceNow
            if seconds < Self.tickInterval { wake(name, after: seconds) }
        case .persist:
            dirty = true
        case .forget:
            state.services[name] = nil
            timerDue[name] = nil
            probeDue[name] = nil
            dirty = true
        case .report(let report):
            return record(report, for: name)
        }
        return nil
    }

    /// Feeds the service's timer and probe timer to its machine if they are due. The tick
    /// calls it for every service; a delay shorter than a tick gets a wake-up of its own.
    func fireDue(_ name: String) {
        if let due = timerDue[name], Date() >= due {
            timerDue[name] = nil
            feed(name, .timerFired(at: Date()))
        }
        // Within 10 ms: a wake-up may come a little early on the monotonic clock.
        if let due = probeDue[name], Monotonic.now + 0.01 >= due {
            probeDue[name] = nil
            feed(name, .probeDue)
        }
    }

    /// Looks at the service's timers after `seconds`; a wake-up that finds nothing due (the
    /// timer was set again or dropped since) does nothing.
    private func wake(_ name: String, after seconds: Double) {
        Task {
            if seconds > 0 { try? await Task.sleep(for: .seconds(seconds)) }
            self.fireDue(name)
        }
    }

    /// Starts the service's process from its spec; the event says how it went.
    private func spawn(_ name: String) -> ServiceEvent {
        let now = Date()
        guard let spec = state.services[name]?.record.spec else { return .spawnFailed(error: "not supervised", at: now) }
        let console: Int32
        let identity: ServiceIdentity?
        do {
            identity = try self.identity(for: spec)
            console = try openConsole(name, as: identity)
        } catch {
            return .spawnFailed(error: String(describing: error), at: now)
        }
        defer { close(console) }
        let request = SpawnRequest(
            argv: JavaLocator.resolve(spec.command, bkHome: paths.home, javaHome: spec.javaHome),
            environment: Spawner.environment(adding: (identity?.environment ?? [:]).merging(spec.env) { $1 }),
            workingDirectory: spec.workingDirectory ?? paths.serviceDir(name),
            output: console,
            identity: identity,
            openFiles: spec.openFiles)
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
        // A command probe runs as the service does; an account gone since the start fails
        // the probe rather than running it as the agent.
        var identity: Result<ServiceIdentity?, any Error> = .success(nil)
        if case .command = check.probe, let spec = state.services[name]?.record.spec {
            identity = Result { try self.identity(for: spec) }
            let own = (try? identity.get())??.environment ?? [:]
            environment = Spawner.environment(adding: own.merging(spec.env) { $1 })
            directory = spec.workingDirectory ?? paths.serviceDir(name)
        }
        let env = environment
        let dir = directory
        let account = identity
        Task {
            let error = await Threads.run {
                switch account {
                case .failure(let problem): String(describing: problem)
                case .success(let identity):
                    HealthProber.run(check.probe, timeout: check.timeoutSeconds, environment: env, workingDirectory: dir,
                                     identity: identity)
                }
            }
            self.feed(name, .probed(pid: pid, error: error, at: Date()))
        }
    }
}
