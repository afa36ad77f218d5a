import Shared

extension Supervisor {
    /// Writes what the machine reported to the agent log; a failed spawn also becomes the
    /// failure to answer the request that caused it.
    func record(_ report: ServiceReport, for name: String) -> AgentFailure? {
        switch report {
        case .adopted(let pid):
            log.info("adopted running service", ["service.name": name, "pid": String(pid)])
        case .hostRebooted:
            log.info("host rebooted since the service last ran", ["service.name": name])
        case .started(let pid, let reason):
            log.info(reason == .restart ? "restarted" : "started", ["service.name": name, "pid": String(pid)])
        case .spawnFailed(let message):
            log.error("start failed", ["service.name": name, "error": message])
            return AgentFailure(.spawnFailed, "\(name): \(message)", service: name)
        case .stopping(let pid, let timeout):
            log.info("stopping: \(StopStep.terminate.rawValue)",
                     ["service.name": name, "pid": String(pid), "timeout.seconds": String(timeout)])
        case .stopEscalated(let pid, let step):
            log.warning("still running after the stop timeout: \(step.rawValue)", ["service.name": name, "pid": String(pid)])
        case .stopped(let pid, let exit):
            log.info("stopped", ["service.name": name, "pid": String(pid), "exit": exit.summary])
        case .exitedUnexpectedly(let pid, let exit):
            log.warning("exited unexpectedly", ["service.name": name, "pid": String(pid), "exit": exit.summary])
        case .restartScheduled(let seconds):
            log.info("restart scheduled", ["service.name": name, "backoff.seconds": String(seconds)])
        case .failed(let reason):
            log.error("failed: no more restarts", ["service.name": name, "reason": reason])
        case .restartNeeded:
            log.info("restart needed: the applied spec differs from the running process's", ["service.name": name])
        case .waiting(let services, let reason):
            log.info("start held: waiting for \(services.joined(separator: ", "))", ["service.name": name, "reason": reason])
        case .gatesPassed(let seconds):
            log.info("start gates passed", ["service.name": name, "waited.seconds": String(Int(seconds.rounded()))])
        case .healthChanged(let from, let to, let error):
            if let error {
                log.info("health changed", ["service.name": name, "from": from.rawValue, "to": to.rawValue, "error": error])
            } else {
                log.info("health changed", ["service.name": name, "from": from.rawValue, "to": to.rawValue])
            }
        }
        return nil
    }
}
