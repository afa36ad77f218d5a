import FoundationEssentials
import Shared
#if canImport(Glibc)
import Glibc
#endif

/// Owns the services of one BK_HOME: starts them, notices when they end, restarts them with
/// backoff, stops them in steps, probes their health and persists all of it.
///
/// One actor holds all mutable state; blocking work (probes, log reads, `java -version`) runs
/// on plain threads and reports back. A periodic ``tick()`` drives everything time-based.
actor Supervisor {
    let paths: AgentPaths
    let log: AgentLog
    let store: StateStore
    let releases: ReleaseActivator
    let startedAt = Date()
    var state: PersistedState
    /// Unsaved changes to `state`.
    var dirty = false
    /// Pids this agent process spawned: only these can be reaped with waitpid; adopted ones
    /// are watched through /proc.
    var children: Set<Int32> = []
    /// Services with a probe in flight, and when each is next due (monotonic seconds).
    var probing: Set<String> = []
    var nextProbe: [String: Double] = [:]
    /// Last CPU sample per pid, for CPU percent between two status calls.
    var cpuSamples: [Int32: (ticks: UInt64, at: Double)] = [:]
    /// Callers of a waiting stop, resumed when the service's process has exited.
    var stopWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    var lastConsoleCheck = 0.0
    var java: JavaVersion.Result?
    /// SHA-256 of this process's own executable, for hello.
    var binaryDigest: String?

    init(paths: AgentPaths, log: AgentLog, state: PersistedState) {
        self.paths = paths
        self.log = log
        self.store = StateStore(path: paths.state)
        self.releases = ReleaseActivator(paths: paths)
        self.state = state
    }

    // MARK: Start-up

    /// Re-adopts services that still run (same pid and start time, same boot), accounts for
    /// those that ended while no agent watched, and starts what should run.
    func bootstrap() {
        let boot = BootID.current
        let rebooted = state.bootId != nil && boot != nil && state.bootId != boot
        state.bootId = boot
        let now = Date()
        for name in state.services.keys.sorted() {
            guard let process = state.services[name]?.process else { continue }
            if !rebooted, let stat = ProcStat.read(process.pid), stat.startTicks == process.startTicks, !stat.isDead {
                log.info("adopted running service", ["service.name": name, "pid": String(process.pid)])
                continue
            }
            if rebooted {
                // Not a crash: the host went down. Start afresh without counting a failure.
                state.services[name]?.process = nil
                state.services[name]?.runningSpec = nil
                state.services[name]?.stopping = nil
                state.services[name]?.health = HealthTracker()
                log.info("host rebooted since the service last ran", ["service.name": name])
            } else {
                processEnded(name, outcome: nil, at: now)
            }
        }
        for name in state.services.keys.sorted() {
            guard let record = state.services[name], record.spec.desired == .running,
                  record.process == nil, record.state == .stopped else { continue }
            launchLogged(name, countAsRestart: false)
        }
        dirty = true
        persist()
    }

    // MARK: The periodic tick

    /// Notices exits, escalates overdue stops, restarts after backoff, starts due probes,
    /// keeps console logs capped and saves changes.
    func tick() {
        let now = Date()
        let monotonic = Monotonic.now
        for name in state.services.keys.sorted() {
            guard let record = state.services[name] else { continue }
            if let process = record.process {
                if children.contains(process.pid) {
                    if let outcome = Spawner.reap(process.pid) { processEnded(name, outcome: outcome, at: now) }
                } else if !isAlive(process) {
                    processEnded(name, outcome: nil, at: now)
                }
            }
            guard let record = state.services[name] else { continue }
            if let stop = record.stopping, let process = record.process, let next = stop.step.next, now >= stop.deadline {
                log.warning("still running after the stop timeout: \(next.rawValue)", ["service.name": name, "pid": String(process.pid)])
                signal(process, next.signal)
                state.services[name]?.stopping?.step = next
                dirty = true
            }
            if record.process == nil, let due = record.nextRestartAt, due <= now,
               record.spec.desired == .running, record.failedReason == nil {
                launchLogged(name, countAsRestart: true)
            }
            probeIfDue(name, at: monotonic)
        }
        if monotonic - lastConsoleCheck >= 30 {
            lastConsoleCheck = monotonic
            for name in state.services.keys {
                if (try? ConsoleLog.enforceCap(path: paths.consoleLog(name))) == true {
                    log.info("console log rotated", ["service.name": name])
                }
            }
        }
        persist()
    }

    /// Saves the state if it changed. A failed save is logged and retried on the next tick.
    func persist() {
        guard dirty else { return }
        do {
            try store.save(state)
            dirty = false
        } catch {
            log.error("cannot save the agent state; will retry", ["error": String(describing: error)])
        }
    }

    /// Saves now, for shutdown.
    func shutdown() {
        dirty = true
        persist()
    }

    // MARK: Processes

    /// True while the recorded process exists and is the same process (start time matches).
    func isAlive(_ process: ProcessRecord) -> Bool {
        guard let stat = ProcStat.read(process.pid) else { return false }
        return !stat.isDead && stat.startTicks == process.startTicks
    }

    /// Signals the service's whole process group (its session), so helpers a start script
    /// forked are stopped too. Checks the process is still ours first: a reused pid must never
    /// receive our signal.
    func signal(_ process: ProcessRecord, _ number: Int32) {
        guard children.contains(process.pid) || isAlive(process) else { return }
        if kill(-process.pid, number) != 0 { kill(process.pid, number) }
    }

    /// Starts the service's process from its spec.
    func launch(_ name: String, countAsRestart: Bool) throws {
        guard var record = state.services[name] else { return }
        let spec = record.spec
        try? FileIO.makeDirectories(paths.logDir(name))
        let request = SpawnRequest(
            argv: spec.command,
            environment: Spawner.environment(adding: spec.env),
            workingDirectory: spec.workingDirectory ?? paths.serviceDir(name),
            outputPath: paths.consoleLog(name))
        let now = Date()
        let pid: Int32
        do {
            if let dir = request.workingDirectory, !FileIO.isDirectory(dir) {
                throw PosixError("working directory", path: dir, code: ENOENT)
            }
            pid = try Spawner.spawn(request)
        } catch {
            let message = "cannot start: \(error)"
            log.error("start failed", ["service.name": name, "error": message])
            record.nextRestartAt = nil
            switch record.failures.recordExit(at: now, ranSeconds: 0, policy: spec.restart) {
            case .restart(let after): record.nextRestartAt = now.addingTimeInterval(after)
            case .giveUp(let reason): record.failedReason = "\(message); \(reason)"
            }
            state.services[name] = record
            dirty = true
            throw AgentFailure(.spawnFailed, "\(name): \(message)", service: name)
        }
        children.insert(pid)
        record.process = ProcessRecord(pid: pid, startTicks: ProcStat.read(pid)?.startTicks ?? 0, startedAt: now,
                                       release: releases.activeRelease(of: name) ?? spec.release)
        record.runningSpec = spec.runDefinition
        record.health = HealthTracker(startedAt: now)
        record.nextRestartAt = nil
        record.stopping = nil
        if countAsRestart { record.restarts += 1 }
        state.services[name] = record
        // First probe soon after start, so a fast service is reported healthy quickly.
        probeSoon(name)
        dirty = true
        log.info(countAsRestart ? "restarted" : "started", ["service.name": name, "pid": String(pid)])
    }

    /// ``launch(_:countAsRestart:)`` where the caller has nobody to report a failure to.
    func launchLogged(_ name: String, countAsRestart: Bool) {
        try? launch(name, countAsRestart: countAsRestart)
    }

    /// Records how the process ended and decides what follows: nothing, a restart after a
    /// requested stop, a restart after backoff, or `failed`.
    func processEnded(_ name: String, outcome: ExitOutcome?, at now: Date) {
        guard var record = state.services[name], let process = record.process else { return }
        children.remove(process.pid)
        cpuSamples[process.pid] = nil
        probing.remove(name)
        let ran = now.timeIntervalSince(process.startedAt)
        var code: Int32?
        var signalNumber: Int32?
        switch outcome {
        case .exited(let value): code = value
        case .signaled(let value): signalNumber = value
        case nil: break
        }
        let stop = record.stopping
        let exit = ExitRecord(at: now, code: code, signal: signalNumber, requested: stop != nil, stopStep: stop?.step.rawValue,
                              statusKnown: outcome != nil, ranSeconds: ran)
        record.lastExit = exit
        record.process = nil
        record.runningSpec = nil
        record.stopping = nil
        record.health = HealthTracker(startedAt: nil)
        if let stop {
            log.info("stopped", ["service.name": name, "pid": String(process.pid), "exit": exit.summary])
            state.services[name] = record
            if record.pendingRemoval {
                state.services[name] = nil
                nextProbe[name] = nil
            } else if stop.thenStart && record.spec.desired == .running {
                launchLogged(name, countAsRestart: false)
            }
        } else {
            log.warning("exited unexpectedly", ["service.name": name, "pid": String(process.pid), "exit": exit.summary])
            if record.spec.desired == .running && record.failedReason == nil {
                switch record.failures.recordExit(at: now, ranSeconds: ran, policy: record.spec.restart) {
                case .restart(let after):
                    record.nextRestartAt = now.addingTimeInterval(after)
                    log.info("restart scheduled", ["service.name": name, "backoff.seconds": String(after)])
                case .giveUp(let reason):
                    record.failedReason = reason
                    log.error("failed: no more restarts", ["service.name": name, "reason": reason])
                }
            }
            state.services[name] = record
        }
        dirty = true
        for waiter in stopWaiters.removeValue(forKey: name) ?? [] { waiter.resume() }
    }
}
