import FoundationEssentials
import Shared
#if canImport(Glibc)
import Glibc
#endif

extension Supervisor {
    /// The agent process, for hello and status.
    var agentInfo: AgentInfo {
        AgentInfo(version: JobFleetVersion.current, protocolVersions: Array(AgentProtocol.supportedVersions),
                  pid: getpid(), startedAt: startedAt, bkHome: paths.home)
    }

    /// Status of the named services (all when nil or empty).
    func status(_ request: StatusRequest) throws(AgentFailure) -> StatusResult {
        if let names = request.services {
            for name in names where state.services[name] == nil {
                throw AgentFailure(.unknownService, "\(name) is not supervised here; apply it first", service: name)
            }
        }
        let lines = min(max(request.logLines ?? 20, 0), 200)
        return StatusResult(agent: agentInfo, at: Date(), lease: state.lease.active(at: Date()),
                            services: statuses(request.services, logLines: lines))
    }

    /// One ``ServiceStatus`` per service, sorted by name, measured now.
    func statuses(_ names: [String]?, logLines: Int) -> [ServiceStatus] {
        let wanted = (names?.isEmpty ?? true) ? state.services.keys.sorted() : names!
        return wanted.compactMap { name in state.services[name].map { serviceStatus(name, $0, logLines: logLines) } }
    }

    private func serviceStatus(_ name: String, _ machine: ServiceMachine, logLines: Int) -> ServiceStatus {
        let now = Date()
        let record = machine.record
        var status = ServiceStatus(name: name, desired: record.spec.desired, state: record.state, restarts: record.restarts,
                                   specCurrent: record.runningSpec == nil || record.runningSpec == record.spec.runDefinition,
                                   adopted: machine.adopted,
                                   health: record.spec.health == nil ? HealthStatus(state: .none) : record.health.status)
        status.lastExit = record.lastExit
        status.desiredRelease = record.spec.release
        status.revision = record.spec.revision
        status.activeRelease = releases.activeRelease(of: name)
        status.nextRestartAt = record.nextRestartAt
        status.failedReason = record.failedReason
        if let wait = record.waiting {
            status.waitingFor = record.spec.startGates.map(\.service)
            status.waitingSince = wait.since
            status.waitingReason = wait.reason
        }
        if let process = record.process {
            status.pid = process.pid
            status.startedAt = process.startedAt
            status.uptimeSeconds = (now.timeIntervalSince(process.startedAt) * 10).rounded() / 10
            status.release = process.release
            status.version = process.version
            status.healthySince = record.spec.health == nil ? nil : record.health.healthySince
            if let stat = ProcStat.read(process.pid), stat.startTicks == process.startTicks {
                status.rssBytes = stat.rssPages * ProcStat.pageSize
                status.cpuPercent = cpuPercent(pid: process.pid, ticks: stat.cpuTicks, startedAt: process.startedAt)
            }
        }
        if logLines > 0 && (record.state == .failed || record.state == .backoff) {
            let query = LogQuery(lines: logLines, maxBytes: 16384)
            status.logTail = try? LogTail.read(opening: serviceLogPath(name), in: paths, query: query).lines
            status.consoleTail = try? LogTail.read(opening: paths.consoleLog(name), in: paths, query: query).lines
        }
        return status
    }

    /// CPU percent of one core since this pid's previous sample, or over its life on the first.
    private func cpuPercent(pid: Int32, ticks: UInt64, startedAt: Date) -> Double {
        let now = Monotonic.now
        let seconds = Double(ticks) / ProcStat.clockTicksPerSecond
        var percent: Double
        if let sample = cpuSamples[pid], now - sample.at >= 0.5 {
            percent = Double(ticks - min(sample.ticks, ticks)) / ProcStat.clockTicksPerSecond / (now - sample.at) * 100
        } else {
            percent = seconds / max(Date().timeIntervalSince(startedAt), 1) * 100
        }
        if cpuSamples[pid].map({ now - $0.at >= 0.5 }) ?? true { cpuSamples[pid] = (ticks, now) }
        percent = (percent * 10).rounded() / 10
        return percent
    }

    /// The service's own log: the spec's `logFile`, else the bk-job default.
    func serviceLogPath(_ name: String) -> String {
        state.services[name]?.record.spec.logFile ?? paths.defaultServiceLog(name)
    }

    /// The service's error log: the spec's `errorLogFile`, else `error.log` beside its own log.
    func errorLogPath(_ name: String) -> String {
        if let file = state.services[name]?.record.spec.errorLogFile { return file }
        let main = serviceLogPath(name)
        let folder = main.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return "\(folder)/error.log"
    }

    /// Host facts and the agent's own digest; runs `java -version` and hashes the executable
    /// the first time only. `/proc/self/exe` is the file this process runs even after the
    /// path was replaced by another build.
    /// Says who the agent is and what the host has: the java a service would get with
    /// `javaHome`, and for each of `accounts`, whether services can run as it.
    func hello(javaHome: String? = nil, accounts: [String] = [], consul: ConsulEndpoint? = nil) async -> HelloResult {
        // The search is a few stat calls, done every time so a JDK unpacked under BK_HOME
        // since is seen; the version is asked once per program.
        let found = JavaLocator.locate(bkHome: paths.home, javaHome: javaHome)
        if java[found.program] == nil {
            let paths = paths
            let environment = Spawner.environment(adding: [:])
            java[found.program] = await Threads.run {
                JavaVersion.detect(paths: paths, environment: environment, program: found.program)
            }
        }
        if binaryDigest == nil {
            binaryDigest = await Threads.run { try? Checksum.sha256(fileAt: "/proc/self/exe") }
        }
        var agent = agentInfo
        agent.binarySHA256 = binaryDigest
        agent.revisionKey = revisionKey()
        var facts = HostProbe.facts(bkHome: paths.home, java: java[found.program] ?? JavaVersion.Result(), found: found)
        if !accounts.isEmpty {
            let database = AccountDatabase.host()
            facts.accounts = accounts.map { ServiceAccount.facts($0, in: database, agentUID: geteuid()) }
        }
        if let consul {
            facts.consul = await Threads.run { ConsulProbe.facts(consul) }
        }
        return HelloResult(agent: agent, host: facts)
    }

    /// The host's revision key, made on first use from the system's random source and persisted
    /// with the state (mode 0600), so it survives agent restarts and upgrades.
    func revisionKey() -> String {
        if let key = state.revisionKey { return key }
        var generator = SystemRandomNumberGenerator()
        let key = Checksum.hex((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        state.revisionKey = key
        dirty = true
        persist()
        return key
    }
}
