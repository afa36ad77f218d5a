import Foundation
import Shared

/// This controller process as its lease owners name it: a random run token kept for the
/// process's life, and the boot id of the machine it runs on.
///
/// `user@host` and a pid do not identify a process: cloned bastions and containers with a fixed
/// hostname report the same name, and a pid means nothing on another machine or in another pid
/// namespace. So while a run holds leases it also holds an exclusive `flock` on
/// `runs/<token>.lock` in the operator's state directory. The kernel drops that lock when the
/// process dies, however it dies. A later run may take over a lease only when it finds the
/// holder's lock file in its own state directory and can lock it: proof that the holder ran
/// here and is gone. A holder whose file is not here is someone else's, alive or not, and its
/// lease is left to lapse.
final class ControllerRun: @unchecked Sendable {
    /// The run of this process, registered on first use.
    static let current = ControllerRun(directory: ControllerRun.defaultDirectory)

    /// Where run lock files live: `$XDG_STATE_HOME/jobfleet/runs` (`~/.local/state/jobfleet/runs`).
    static var defaultDirectory: String { "\(ControllerDirectories.state)/runs" }

    /// 32 hex digits from the system's random source.
    let token: String
    /// The first 8 hex digits of `/proc/sys/kernel/random/boot_id`, or `unknown`.
    let boot: String
    let directory: String
    private let lock = NSLock()
    private var fd: Int32 = -1

    init(directory: String) {
        self.directory = directory
        var generator = SystemRandomNumberGenerator()
        token = Checksum.hex((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
        boot = Self.bootID.map { String($0.prefix(8)) } ?? "unknown"
    }

    /// The machine's boot id, without dashes; nil where the kernel does not offer one.
    static var bootID: String? {
        guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else { return nil }
        let id = text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "-", with: "")
        return id.isEmpty ? nil : id
    }

    /// How lease owners name this run: `run <token>@<boot>`.
    var label: String { "run \(token)@\(boot)" }

    /// Creates and locks this run's file (once); returns false when that is impossible (the
    /// state directory is not writable), in which case no later run can take over our leases
    /// early: they lapse instead.
    @discardableResult
    func register() -> Bool {
        lock.withLock {
            if fd >= 0 { return true }
            guard (try? PrivateFiles.makeDirectory(directory)) != nil else { return false }
            pruneFinished()
            let path = "\(directory)/\(token).lock"
            let opened = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard opened >= 0 else { return false }
            guard flock(opened, LOCK_EX | LOCK_NB) == 0 else {
                close(opened)
                return false
            }
            let note = Array("pid \(getpid()) boot \(Self.bootID ?? "unknown")\n".utf8)
            _ = note.withUnsafeBytes { write(opened, $0.baseAddress, $0.count) }
            fd = opened
            return true
        }
    }

    /// True when the run `owner` names ran on this machine under this state directory and has
    /// ended: its lock file is here and nobody holds its lock. The file stays (the run may hold
    /// leases on several hosts); pruning removes it once it is old.
    func hasEnded(_ owner: String) -> Bool {
        guard let token = Self.token(in: owner) else { return false }
        return endedRun(at: "\(directory)/\(token).lock", remove: false)
    }

    /// True when a journal entry still marked running, written by the run `label` names
    /// (`run <token>@<boot>`), can be closed as interrupted: it is this run's own (a new entry
    /// replaces it), or its run provably ended here (`hasEnded`). An entry without a run comes
    /// from a version that recorded none, when the journal was one operator's file, and is
    /// closed as it was then. Any other run may still be working, on this machine or another.
    func abandoned(_ label: String?) -> Bool {
        guard let label else { return true }
        return label == self.label || hasEnded(label)
    }

    /// The run token in a lease owner (`… run <32 hex>@<boot>`), or nil. The owner comes from a
    /// host, so only hex digits are accepted before it becomes part of a path.
    static func token(in owner: String) -> String? {
        let words = owner.split(separator: " ")
        guard let index = words.lastIndex(of: "run"), index + 1 < words.count else { return nil }
        let token = words[index + 1].split(separator: "@", maxSplits: 1).first ?? ""
        guard token.count == 32, token.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        return String(token)
    }

    /// Whether the lock file at `path` belongs to a run that ended (removing it when asked).
    private func endedRun(at path: String, remove: Bool) -> Bool {
        let probe = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
        guard probe >= 0 else { return false }
        defer { close(probe) }
        guard flock(probe, LOCK_EX | LOCK_NB) == 0 else { return false }
        if remove { unlink(path) }
        return true
    }

    /// Marks this run as alive now: a holder touches its file whenever it takes or renews a
    /// lease, so the file of a run that ended says when its leases can have lapsed at the latest.
    func touch() {
        lock.withLock {
            if fd >= 0 { _ = futimens(fd, nil) }
        }
    }

    /// How long the file of an ended run is kept after its last touch: far beyond any lease it
    /// could still hold (jobfleet's leases last 120 s), so it is there when the next run finds
    /// one of its leases on a host and wants to take it over.
    static let keepEnded: TimeInterval = 3600

    /// Removes the lock files of runs that ended long ago, so the directory does not grow.
    private func pruneFinished() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        let cutoff = Date().addingTimeInterval(-Self.keepEnded)
        for name in names where name.hasSuffix(".lock") {
            let path = "\(directory)/\(name)"
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                  modified < cutoff else { continue }
            _ = endedRun(at: path, remove: true)
        }
    }
}
