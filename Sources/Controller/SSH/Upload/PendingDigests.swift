import Foundation
import Shared

/// SHA-256 digests of local files, computed on a thread of their own while an upload sends
/// the files, so hashing takes the other core instead of time on the session's thread.
final class PendingDigests: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<[String?], any Error>?

    /// Starts hashing every path that is not nil; nil entries stay nil. When every entry is nil
    /// (the caller knows every digest, as deploy does) no thread is started.
    init(paths: [String?]) {
        if paths.allSatisfy({ $0 == nil }) {
            result = .success(paths)
            return
        }
        let thread = Thread { [self] in
            let outcome = Result { try paths.map { try $0.map(Checksum.sha256(fileAt:)) } }
            condition.lock()
            result = outcome
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "jobfleet sha256"
        thread.start()
    }

    /// Waits for the digests; only ever called from a session's own thread, never from the
    /// cooperative pool.
    func wait() throws -> [String?] {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return try result!.get()
    }
}
