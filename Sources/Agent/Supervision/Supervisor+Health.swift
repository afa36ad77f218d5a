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
        // Until there is a verdict, probe at least every 2 s so a started service is reported
        // healthy soon after it is; then at the configured interval.
        let interval = record.health.state == .unknown ? min(check.intervalSeconds, 2) : check.intervalSeconds
        nextProbe[name] = Monotonic.now + max(interval, 0.2)
    }
}
