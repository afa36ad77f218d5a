import FoundationEssentials
import Shared

/// The health verdict of one service from a stream of probe results: consecutive thresholds,
/// a start grace during which failures do not count, and when the verdict last changed.
/// Pure: probes and clock are outside.
struct HealthTracker: Codable, Equatable {
    private(set) var state: HealthState = .unknown
    /// When `state` last changed.
    private(set) var since: Date?
    private(set) var lastCheckAt: Date?
    private(set) var lastError: String?
    private(set) var successes = 0
    private(set) var failures = 0

    /// A fresh verdict for a process that started at `startedAt`.
    init(startedAt: Date? = nil) {
        since = startedAt
    }

    /// Records one probe result; returns true when the verdict changed.
    @discardableResult
    mutating func record(success: Bool, error: String?, at now: Date, inGrace: Bool,
                         healthyThreshold: Int, unhealthyThreshold: Int) -> Bool {
        lastCheckAt = now
        if success {
            lastError = nil
            successes += 1
            failures = 0
            if successes >= max(healthyThreshold, 1) { return transition(to: .healthy, at: now) }
            return false
        }
        lastError = error
        successes = 0
        // A JVM still starting is not unhealthy yet; once healthy, a failure counts even in grace.
        if inGrace && state != .healthy { return false }
        failures += 1
        if failures >= max(unhealthyThreshold, 1) { return transition(to: .unhealthy, at: now) }
        return false
    }

    private mutating func transition(to next: HealthState, at now: Date) -> Bool {
        guard next != state else { return false }
        state = next
        since = now
        return true
    }

    /// The protocol's view.
    var status: HealthStatus {
        HealthStatus(state: state, since: since, lastCheckAt: lastCheckAt, lastError: lastError)
    }

    /// Since when the service has been healthy, if it is.
    var healthySince: Date? { state == .healthy ? since : nil }
}
