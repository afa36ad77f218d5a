import FoundationEssentials
import Shared

extension Supervisor {
    /// Runs one probe on its own thread; the result comes back through ``recordProbe``.
    func startProbe(_ name: String, check: HealthCheckSpec, pid: Int32) {
        probing.insert(name)
        var environment: [String: String] = [:]
        var directory: String?
        if case .command = check.probe, let spec = state.services[name]?.spec {
            environment = Spawner.environment(adding: spec.env)
            directory = spec.workingDirectory ?? paths.serviceDir(name)
        }
        let env = environment
        let dir = directory
        Task {
            let error = await Threads.run {
                HealthProber.run(check.probe, timeout: check.timeoutSeconds, environment: env, workingDirectory: dir)
            }
            self.recordProbe(name, pid: pid, error: error)
        }
    }

    /// Feeds a probe result to the service's health tracker, if the process probed is still
    /// the current one, and schedules the next probe.
    func recordProbe(_ name: String, pid: Int32, error: String?) {
        probing.remove(name)
        guard var record = state.services[name], let process = record.process, process.pid == pid,
              record.stopping == nil, let check = record.spec.health else { return }
        let now = Date()
        let inGrace = now.timeIntervalSince(process.startedAt) < check.startGraceSeconds
        let before = record.health.state
        if record.health.record(success: error == nil, error: error, at: now, inGrace: inGrace,
                                healthyThreshold: check.healthyThreshold, unhealthyThreshold: check.unhealthyThreshold) {
            var metadata: KeyValuePairs<String, String> = ["service.name": name, "from": before.rawValue, "to": record.health.state.rawValue]
            if let error { metadata = ["service.name": name, "from": before.rawValue, "to": record.health.state.rawValue, "error": error] }
            log.info("health changed", metadata)
            dirty = true
        }
        state.services[name] = record
        // Until there is a verdict, probe every quarter second, so a started service is
        // reported healthy soon after it is (a rollout's waves wait on it); then at the
        // configured interval, from the supervisor's tick.
        if record.health.state == .unknown {
            probeSoon(name)
        } else {
            nextProbe[name] = Monotonic.now + max(check.intervalSeconds, 0.2)
        }
    }

    /// Delay between probes while a service has no health verdict yet.
    static let earlyProbeInterval = 0.25

    /// Schedules the service's next probe in ``earlyProbeInterval``, on a timer of its own rather
    /// than the supervisor's half-second tick.
    func probeSoon(_ name: String) {
        let delay = Self.earlyProbeInterval
        nextProbe[name] = Monotonic.now + delay
        Task {
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            self.probeIfDue(name, at: Monotonic.now)
        }
    }

    /// Starts a probe of the service if it runs, has a check, none is in flight and one is due
    /// (within 10 ms: a timer may fire a little early on the monotonic clock).
    func probeIfDue(_ name: String, at monotonic: Double) {
        guard let record = state.services[name], let check = record.spec.health, let process = record.process,
              record.stopping == nil, !probing.contains(name),
              monotonic + 0.01 >= nextProbe[name] ?? 0 else { return }
        startProbe(name, check: check, pid: process.pid)
    }
}
