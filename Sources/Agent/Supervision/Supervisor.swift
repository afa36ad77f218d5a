import FoundationEssentials
import Shared
#if canImport(Glibc)
import Glibc
#endif

/// Owns the services of one BK_HOME and carries out what their ``ServiceMachine``s decide:
/// spawns, signals, probes, timers, saving the state.
///
/// One actor holds all mutable state; blocking work (probes, log reads, `java -version`) runs
/// on plain threads and reports back. A periodic ``tick()`` notices processes that ended and
/// fires the timers the machines set.
actor Supervisor {
    let paths: AgentPaths
    let log: AgentLog
    let store: StateStore
    let releases: ReleaseActivator
    let startedAt = Date()
    var state: PersistedState
    /// Unsaved changes to `state`.
    var dirty = false
    /// How often the tick runs. Timers due later than this are fired by the tick; sooner ones
    /// (first probes, short backoffs) get a wake-up of their own.
    static let tickInterval = 0.5
    /// Per service, when its machine's timer is due (wall clock, as the machine set it) and
    /// when its next probe is (monotonic seconds). Setting one replaces the previous.
    var timerDue: [String: Date] = [:]
    var probeDue: [String: Double] = [:]
    /// Last CPU sample per pid, for CPU percent between two status calls.
    var cpuSamples: [Int32: (ticks: UInt64, at: Double)] = [:]
    /// Callers of a waiting stop, resumed when the service's process has exited.
    var stopWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    /// Set when the agent shuts down: waiting stops answer at once (the next agent carries
    /// their stop sequence on).
    var waitsEnded = false
    var lastConsoleCheck = 0.0
    /// The console log cap and how often it is enforced.
    let consoleLimits: ConsoleLimits
    /// Per service, why its console log could not be rotated, so the reason is logged once.
    var consoleProblems: [String: String] = [:]
    /// `java -version` of each java program asked about, by path.
    var java: [String: JavaVersion.Result] = [:]
    /// SHA-256 of this process's own executable, for hello.
    var binaryDigest: String?

    init(paths: AgentPaths, log: AgentLog, state: PersistedState, consoleLimits: ConsoleLimits = ConsoleLimits()) {
        self.paths = paths
        self.log = log
        self.consoleLimits = consoleLimits
        self.store = StateStore(path: paths.state)
        self.releases = ReleaseActivator(paths: paths)
        self.state = state
    }

    // MARK: Start-up

    /// Hands every saved service to its machine as a new agent's start-up, with what /proc says
    /// about its recorded pid and whether the host rebooted since the state was saved.
    func bootstrap() {
        let boot = BootID.current, kernel = BootID.kernel
        let rebooted = state.bootId != nil && boot != nil && state.bootId != boot
        // Whether a recorded pid can still be the process we started goes by the kernel alone:
        // a host boot id that changed while the kernel did not (set differently, or by an
        // older agent that did not read it) must never hide a live process, or it would be
        // started a second time beside itself.
        let sameKernel = (state.kernelBootId ?? state.bootId).map { $0 == kernel } ?? true
        state.bootId = boot
        state.kernelBootId = kernel
        let now = Date()
        for name in state.services.keys.sorted() {
            let pid = state.services[name]?.record.process?.pid
            let ticks = sameKernel ? pid.flatMap(ProcStat.read).flatMap { $0.isDead ? nil : $0.startTicks } : nil
            feed(name, .agentStarted(liveStartTicks: ticks, rebooted: rebooted, at: now))
        }
        dirty = true
        persist()
    }

    // MARK: The periodic tick

    /// Notices exits (reaping our own children, watching adopted processes through /proc),
    /// fires due timers, keeps console logs capped and saves changes.
    func tick() {
        let now = Date()
        for name in state.services.keys.sorted() {
            if let machine = state.services[name], let process = machine.record.process {
                if machine.ownChild {
                    if let outcome = Spawner.reap(process.pid) { processEnded(name, process, outcome: outcome, at: now) }
                } else if !isAlive(process) {
                    processEnded(name, process, outcome: nil, at: now)
                }
            }
            fireDue(name)
        }
        let monotonic = Monotonic.now
        if monotonic - lastConsoleCheck >= consoleLimits.checkInterval {
            lastConsoleCheck = monotonic
            for name in state.services.keys.sorted() { capConsoleLog(name) }
        }
        persist()
    }

    /// Rotates the service's console log past the cap. A refusal (a planted link, a directory
    /// others may write) is logged when it first appears or changes, not every check.
    private func capConsoleLog(_ name: String) {
        do {
            let dir = try paths.openLogDir(name, create: false)
            if try ConsoleLog.enforceCap(in: dir, cap: consoleLimits.cap) {
                log.info("console log rotated", ["service.name": name])
            }
            consoleProblems[name] = nil
        } catch let error as PosixError where error.code == ENOENT {
            consoleProblems[name] = nil
        } catch {
            let problem = String(describing: error)
            if consoleProblems[name] != problem {
                consoleProblems[name] = problem
                log.warning("console log not rotated", ["service.name": name, "error": problem])
            }
        }
    }

    /// Feeds the exit to the machine and wakes the callers waiting for the stop.
    private func processEnded(_ name: String, _ process: ProcessRecord, outcome: ExitOutcome?, at now: Date) {
        cpuSamples[process.pid] = nil
        feed(name, .exited(outcome, at: now))
        for waiter in stopWaiters.removeValue(forKey: name) ?? [] { waiter.resume() }
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

    /// Answers every waiting stop now and lets none wait from here on, for shutdown.
    func endWaits() {
        waitsEnded = true
        for waiters in stopWaiters.values {
            for waiter in waiters { waiter.resume() }
        }
        stopWaiters = [:]
    }

    /// Saves now and drops pending timers, for shutdown. Services keep running.
    func shutdown() {
        timerDue = [:]
        probeDue = [:]
        dirty = true
        persist()
    }

    // MARK: Processes

    /// True while the recorded process exists and is the same process (start time matches).
    func isAlive(_ process: ProcessRecord) -> Bool {
        guard let stat = ProcStat.read(process.pid) else { return false }
        return !stat.isDead && stat.startTicks == process.startTicks
    }
}
