/// A point in monotonic time by which an operation must finish, and what kind of bound it is,
/// so that a timeout can tell the operator which setting to look at.
struct Deadline: Sendable {
    /// What a deadline bounds.
    enum Bound: Sendable {
        /// TCP connect, handshake and authentication (`ssh.connect_timeout`).
        case connect
        /// One remote command or stream exchange (`--timeout`, `ssh.command_timeout`).
        case command
        /// An upload that must keep making progress (`ssh.command_timeout`).
        case transfer
        /// Saying goodbye and cleaning up; short and fixed.
        case cleanup
    }

    let instant: ContinuousClock.Instant
    /// The length of the bound, for messages; nil when there is none.
    let limit: Duration?
    let bound: Bound

    /// The deadline `duration` from now; `nil` means no deadline.
    static func after(_ duration: Duration?, _ bound: Bound) -> Deadline {
        guard let duration else {
            return Deadline(instant: .now + .seconds(100 * 365 * 86_400), limit: nil, bound: bound)
        }
        return Deadline(instant: .now + duration, limit: duration, bound: bound)
    }

    /// Milliseconds left, rounded up and clamped to what `poll()` accepts; 0 once passed.
    var remainingMilliseconds: Int32 {
        let left = ContinuousClock.now.duration(to: instant)
        if left <= .zero { return 0 }
        let (seconds, attoseconds) = left.components
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: millis)
    }

    var hasPassed: Bool { ContinuousClock.now >= instant }
}
