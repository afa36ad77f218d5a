import FoundationEssentials
import Shared

/// Health probing: one probe at a time per service, every quarter second until the first
/// verdict, then at the check's interval.
extension ServiceMachine {
    /// The probe timer went off: probe the current process, if it runs, is not stopping and
    /// has a check.
    mutating func probeDue() -> [ServiceAction] {
        guard probe == .waiting else { return [] }
        guard let process = record.process, record.stopping == nil, let check = record.spec.health else {
            probe = .idle
            return []
        }
        probe = .probing(pid: process.pid)
        return [.probe(pid: process.pid, check: check)]
    }

    /// A probe finished. A result about an earlier process, or one arriving during a stop, is
    /// dropped; otherwise it moves the verdict and the next probe is scheduled.
    mutating func probed(pid: Int32, error: String?, at now: Date) -> [ServiceAction] {
        guard probe == .probing(pid: pid) else { return [] }
        probe = .idle
        guard let process = record.process, process.pid == pid, record.stopping == nil,
              let check = record.spec.health else { return [] }
        let inGrace = now.timeIntervalSince(process.startedAt) < check.startGraceSeconds
        let before = record.health.state
        var actions: [ServiceAction] = []
        if record.health.record(success: error == nil, error: error, at: now, inGrace: inGrace,
                                healthyThreshold: check.healthyThreshold, unhealthyThreshold: check.unhealthyThreshold) {
            actions.append(.report(.healthChanged(from: before, to: record.health.state, error: error)))
        }
        let delay = record.health.state == .unknown
            ? Self.earlyProbeInterval : max(check.intervalSeconds, Self.minimumProbeInterval)
        return actions + scheduleProbe(after: delay)
    }
}
