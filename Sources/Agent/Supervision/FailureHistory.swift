import FoundationEssentials
import Shared

/// What to do after a service exited unexpectedly.
enum RestartDecision: Equatable {
    /// Start it again after this many seconds.
    case restart(afterSeconds: Double)
    /// Stop trying: too many failures in the window.
    case giveUp(reason: String)
}

/// Unexpected exits of one service: drives exponential backoff and the `failed` verdict.
/// Pure: time comes in as arguments, so the policy is tested without waiting.
struct FailureHistory: Codable, Equatable {
    /// When recent unexpected exits happened (only those inside the policy window are kept).
    var failures: [Date] = []
    /// Unexpected exits since the last run that lasted `resetAfterSeconds`.
    var consecutive = 0

    /// The backoff before restart number `consecutive` (1-based): initial × 2^(n-1), capped.
    static func backoff(consecutive: Int, policy: RestartPolicy) -> Double {
        // Cap the exponent before shifting: 2^30 s is past any sane maximum.
        let factor = Double(1 << min(max(consecutive - 1, 0), 30))
        let delay = policy.initialBackoffSeconds * factor
        return min(delay, policy.maxBackoffSeconds)
    }

    /// Records an unexpected exit after a run of `ranSeconds` and decides what follows.
    mutating func recordExit(at now: Date, ranSeconds: Double, policy: RestartPolicy) -> RestartDecision {
        if ranSeconds >= policy.resetAfterSeconds { consecutive = 0 }
        consecutive += 1
        failures.append(now)
        failures.removeAll { now.timeIntervalSince($0) > policy.windowSeconds }
        if failures.count >= policy.maxFailures {
            return .giveUp(reason: "\(failures.count) unexpected exits within \(Self.format(policy.windowSeconds)); "
                + "fix the cause (see the log lines), then start it again")
        }
        return .restart(afterSeconds: Self.backoff(consecutive: consecutive, policy: policy))
    }

    /// Forgets all failures: an explicit start gives the service a clean slate.
    mutating func reset() {
        failures = []
        consecutive = 0
    }

    private static func format(_ seconds: Double) -> String {
        seconds.truncatingRemainder(dividingBy: 60) == 0 && seconds >= 60 ? "\(Int(seconds / 60)) min" : "\(Int(seconds)) s"
    }
}
