import Shared

/// One instance's part in a service's phase: its steps, then a wait for health.
struct InstanceJob: Sendable {
    enum Purpose: Sendable, Equatable {
        /// Bring it to the plan (or, when only controlling, send the command) and see it healthy.
        case replace
        /// Nothing to change: wait until it is healthy.
        case settle
        /// Put a failed replacement back on its previous release, files and revision.
        case revert
    }

    enum Phase: Sendable, Equatable {
        case writing
        case restoring([FileChange])
        case activating
        case applying
        case controlling
        case waiting(HealthWait)
        case fetchingLogs(reason: String)
    }

    var change: InstanceChange
    /// What it should run: the plan's instance, or its previous release when reverting.
    var target: DesiredInstance
    var purpose: Purpose
    var phase: Phase = .activating
}

/// An instance waited for until healthy.
struct HealthWait: Sendable, Equatable {
    /// Its exit record right after the start request: a later unrequested exit is a failure.
    var baseline: ExitRecord?
    /// Exits on the way are its agent's business (an instance restarted after a reboot).
    var exitsAllowed: Bool
    /// Judge only running and healthy, whatever release and definition it runs (control commands).
    var anyRelease: Bool
    var since: Duration
    var deadline: Duration
    /// The last status request sent before it began waiting: only later answers count.
    var after: Int
    var last = "no status yet"
}

extension RolloutMachine {
    /// Starts `change`'s job for `purpose` within its service's current phase.
    mutating func launch(_ change: InstanceChange, _ purpose: InstanceJob.Purpose) {
        let key = change.instance.key
        var target = change.instance
        if purpose == .revert {
            target.spec.release = change.previousRelease
            target.spec.revision = change.previousRevision
        }
        jobs[key] = InstanceJob(change: change, target: target, purpose: purpose)
        runs[key.service]?.active.insert(key)
        switch (purpose, plan.mode) {
        case (.settle, _):
            wait(key, baseline: nil, exitsAllowed: true)
        case (.replace, .control(let method, _)):
            control(key, method)
        case (.replace, .converge):
            let files = fileChanges(of: key).map(\.file)
            if files.isEmpty { return activate(key) }
            jobs[key]?.phase = .writing
            pending.append(.write(key, files))
        case (.revert, _):
            let restores = fileChanges(of: key).filter { !$0.exists || $0.old != nil }
            if restores.isEmpty { return activate(key) }
            jobs[key]?.phase = .restoring(restores)
            pending.append(.restore(key, restores[0]))
        }
    }

    /// The next step after `step` ended well.
    mutating func advance(_ key: InstanceKey, after step: StepResult) {
        guard let job = jobs[key] else { return }
        let label = key.description
        switch (job.phase, step) {
        case (.writing, .wrote):
            let names = fileChanges(of: key).map { $0.file.remotePath.split(separator: "/").last.map(String.init) ?? "" }
            emit(.step(instance: label, what: "wrote \(names.joined(separator: ", "))"))
            activate(key)
        case (.restoring(let remaining), .restored):
            let rest = Array(remaining.dropFirst())
            guard let next = rest.first else { return activate(key) }
            jobs[key]?.phase = .restoring(rest)
            pending.append(.restore(key, next))
        case (.activating, .activated(let unchanged)):
            if !unchanged && job.purpose == .replace {
                emit(.step(instance: label, what: "activated release \(release(of: job))"))
            }
            jobs[key]?.phase = .applying
            pending.append(.apply(key, job.target.spec))
        case (.applying, .applied(let started, let lastExit)):
            // The agent starts a stopped service as soon as its spec is applied; a running one it
            // only marks for restart, and a failed one waits for an explicit start.
            if started && job.purpose == .replace {
                announceStart(job)
                wait(key, baseline: lastExit, exitsAllowed: false)
            } else {
                control(key, job.purpose == .revert || job.change.action == .restart ? .restart : .start)
            }
        case (.controlling, .controlled(let status)):
            controlled(key, job, status)
        default:
            failed(key, "unexpected answer while \(job.phase)")
        }
    }

    private mutating func controlled(_ key: InstanceKey, _ job: InstanceJob, _ status: ServiceStatus?) {
        guard case .control(let method, let waitHealthy) = plan.mode else {
            if job.purpose == .replace { announceStart(job) }
            return wait(key, baseline: status?.lastExit, exitsAllowed: false)
        }
        let exit = status?.lastExit.map { " (last exit: \($0.summary))" } ?? ""
        emit(.step(instance: key.description, what: "\(method.rawValue) done, now \(status?.state.rawValue ?? "unknown")\(exit)"))
        if waitHealthy && method != .stop {
            wait(key, baseline: status?.lastExit, exitsAllowed: false, anyRelease: true)
        } else {
            ended(key, failed: false)
        }
    }

    private mutating func announceStart(_ job: InstanceJob) {
        emit(.step(instance: job.change.instance.label, what: job.change.action == .restart ? "restarted" : "started"))
    }

    private mutating func activate(_ key: InstanceKey) {
        guard let job = jobs[key] else { return }
        jobs[key]?.phase = .activating
        pending.append(.activate(key, release: release(of: job)))
    }

    private mutating func control(_ key: InstanceKey, _ method: AgentMethod) {
        jobs[key]?.phase = .controlling
        pending.append(.control(key, method))
    }

    private mutating func wait(_ key: InstanceKey, baseline: ExitRecord?, exitsAllowed: Bool, anyRelease: Bool = false) {
        guard let job = jobs[key] else { return }
        let wait = HealthWait(baseline: baseline, exitsAllowed: exitsAllowed, anyRelease: anyRelease,
                              since: now, deadline: now + healthDeadline(job.target), after: polls.issued)
        jobs[key]?.phase = .waiting(wait)
    }

    /// A step failed, or the instance will not get healthy: fetch its log lines for the report
    /// (a revert only says that it did not work).
    mutating func failed(_ key: InstanceKey, _ reason: String) {
        guard let job = jobs[key] else { return }
        if job.purpose == .revert {
            emit(.step(instance: key.description, what: "revert failed: \(reason)"))
            return ended(key, failed: true)
        }
        jobs[key]?.phase = .fetchingLogs(reason: reason)
        pending.append(.fetchLogs(key, lines: options.logLines))
    }

    mutating func logged(_ key: InstanceKey, _ lines: [String], excerpts: [LogExcerpt] = []) {
        guard let job = jobs[key], case .fetchingLogs(let reason) = job.phase else { return }
        let failure = InstanceFailure(host: key.host, service: key.service, reason: reason,
                                      logPath: job.target.spec.logFile, logLines: lines, excerpts: excerpts)
        emit(.failed(failure))
        runs[key.service]?.outcome.failures.append(failure)
        ended(key, failed: true)
    }

    /// The job is over: its service moves on once the rest of its phase is.
    mutating func ended(_ key: InstanceKey, failed: Bool) {
        guard let job = jobs.removeValue(forKey: key) else { return }
        if job.purpose == .revert {
            emit(.reverted(instance: key.description, release: job.target.spec.release, healthy: !failed))
            if !failed { runs[key.service]?.outcome.reverted.append(key.description) }
        } else if failed, case .replacing = runs[key.service]?.phase {
            runs[key.service]?.failedInBatch.append(job.change)
        }
        runs[key.service]?.active.remove(key)
        phaseEnded(key.service)
    }

    /// The release a job puts the instance on.
    private func release(of job: InstanceJob) -> String {
        job.target.spec.release ?? job.target.artifact.id
    }

    /// The plan's file changes of one instance.
    private func fileChanges(of key: InstanceKey) -> [FileChange] {
        plan.hosts.first { $0.host.name == key.host }?.files.filter { $0.service == key.service && !$0.served } ?? []
    }
}
