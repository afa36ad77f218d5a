import Foundation

/// Waits for a state a test can observe. The deadline only bounds a failure: a test that needs
/// an ordering waits for the state that proves it, never for a fixed time.
public enum Poll {
    /// Checks `condition` every `interval` until it holds; throws naming `what` after `deadline`.
    /// `condition` may throw to stop waiting (the state it waits for can no longer come).
    public static func until(_ what: String, within deadline: Duration, every interval: Duration = .milliseconds(100),
                             _ condition: () throws -> Bool) throws {
        let clock = ContinuousClock(), end = clock.now + deadline
        while try !condition() {
            guard clock.now < end else { throw SandboxError(message: "timed out after \(deadline) waiting for \(what)") }
            Thread.sleep(forTimeInterval: Double(interval.components.seconds)
                         + Double(interval.components.attoseconds) / 1e18)
        }
    }

    /// The same, suspending rather than blocking between checks.
    public static func until(_ what: String, within deadline: Duration, every interval: Duration = .milliseconds(100),
                             _ condition: () throws -> Bool) async throws {
        let clock = ContinuousClock(), end = clock.now + deadline
        while try !condition() {
            guard clock.now < end else { throw SandboxError(message: "timed out after \(deadline) waiting for \(what)") }
            try await Task.sleep(for: interval)
        }
    }
}

extension ProcessScan {
    /// True once `pid` has ended: no such process, or a zombie nobody has reaped yet (a killed
    /// process whose parent died too may stay one, and `kill(pid, 0)` still succeeds on it).
    public static func hasEnded(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state == "Z" || state == "X"
    }
}
