import Shared

/// The status requests of a rollout: at most one in flight per host, each numbered, and the
/// latest answers. Waits and gates remember the last number sent before they began, so an
/// answer to a request sent before a start is never taken for the started instance's status.
struct StatusPolls: Sendable {
    /// Number of the last request sent (to any host).
    var issued = 0
    /// Host → the number and services of its request in flight.
    var inFlight: [String: (number: Int, services: [String])] = [:]
    /// Host → number of the request its latest answer belongs to.
    var answered: [String: Int] = [:]
    /// Host → when its last request was sent.
    var lastAsked: [String: Duration] = [:]
    /// `latest[host][service]`: the newest status of each service asked about.
    var latest: [String: [String: ServiceStatus]] = [:]
}

extension RolloutMachine {
    /// Asks every host that something waits on: at once when a wait or gate began since its last
    /// answer, else once per poll interval.
    mutating func askDueStatuses() {
        var wanted: [String: Set<String>] = [:]
        var fresh: Set<String> = []
        for (key, job) in jobs {
            guard case .waiting(let wait) = job.phase else { continue }
            wanted[key.host, default: []].insert(key.service)
            if polls.answered[key.host, default: 0] <= wait.after { fresh.insert(key.host) }
        }
        for run in runs.values {
            guard case .gate(let gate) = run.phase else { continue }
            for dependency in dependencies(of: run.name) {
                for instance in desired.instances(of: dependency) {
                    wanted[instance.host.name, default: []].insert(dependency)
                    if polls.answered[instance.host.name, default: 0] <= gate.after { fresh.insert(instance.host.name) }
                }
            }
        }
        for host in wanted.keys.sorted() where polls.inFlight[host] == nil {
            let due = fresh.contains(host) || polls.lastAsked[host].map { now - $0 >= options.pollInterval } ?? true
            guard due, let services = wanted[host]?.sorted() else { continue }
            polls.issued += 1
            polls.inFlight[host] = (polls.issued, services)
            polls.lastAsked[host] = now
            pending.append(.askStatus(host: host, services: services))
        }
    }

    /// Records a host's answer (nil: it did not answer, so what it runs counts as unknown) and
    /// judges every wait and gate it concerns.
    mutating func answered(_ host: String, _ statuses: [ServiceStatus]?) {
        guard let request = polls.inFlight.removeValue(forKey: host) else { return }
        polls.answered[host] = request.number
        for service in request.services {
            polls.latest[host, default: [:]][service] = statuses?.first { $0.name == service }
        }
        for key in jobs.keys.sorted() where key.host == host { evaluateWait(key) }
        for service in runs.keys.sorted() { evaluateGate(service) }
    }

    /// Judges a waiting instance from its host's newest answer, if that came after it began.
    private mutating func evaluateWait(_ key: InstanceKey) {
        guard let job = jobs[key], case .waiting(var wait) = job.phase,
              polls.answered[key.host, default: 0] > wait.after else { return }
        let status = polls.latest[key.host]?[key.service]
        var judged = job.target
        if wait.anyRelease {
            judged.spec.release = status?.release ?? judged.spec.release
            judged.spec.revision = status?.revision
        }
        switch Readiness.progress(judged, status, baseline: wait.baseline, exitsAllowed: wait.exitsAllowed) {
        case .healthy:
            emit(.healthy(instance: key.description, seconds: (now - wait.since).seconds))
            ended(key, failed: false)
        case .failed(let reason):
            failed(key, reason)
        case .pending(let reason):
            wait.last = reason
            jobs[key]?.phase = .waiting(wait)
            if now >= wait.deadline {
                failed(key, "not healthy within \(DurationText.format(wait.deadline - wait.since)) (\(wait.last))")
            }
        }
    }
}
