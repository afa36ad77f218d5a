/// Why a release named by `release.dir` cannot be used: a folder that is not a release, a
/// tarball that is corrupt, or a member the unpacker refuses. `ReleaseSource.resolve` turns it
/// into a `ConfigError` on `release.dir`.
struct ReleaseProblem: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the member when there is one, and what to do where it helps.
    var message: String

    init(_ message: String) { self.message = message }

    /// A member refused by the unpacker.
    static func refused(_ member: String, _ why: String) -> ReleaseProblem {
        ReleaseProblem("member '\(member)' is refused: \(why)")
    }

    /// The tar stream ended before `what` was complete.
    static func truncated(_ what: String) -> ReleaseProblem {
        ReleaseProblem("is truncated: the archive ends \(what); copy the tarball again")
    }

    var description: String { message }
}
