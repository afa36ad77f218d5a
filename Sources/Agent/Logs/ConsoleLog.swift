#if canImport(Glibc)
import Glibc
#endif

/// Keeps a service's console log (its stdout and stderr) under a size cap.
///
/// The service writes the file directly (O_APPEND), not through a pipe to the agent: a pipe
/// would break when the agent restarts and the next write would kill the service with SIGPIPE.
/// So the cap is enforced from outside by copy-and-truncate, as logrotate's `copytruncate`
/// does: the newest part moves to `<file>.1` and the file restarts empty. Output written in
/// the instant between the copy and the truncate is lost; that is the price of never
/// interrupting the service.
enum ConsoleLog {
    /// Default cap per file (the `.1` copy holds as much again).
    static let defaultCap = 10 << 20

    /// Rotates `path` when it exceeds `cap` bytes. Returns true when it rotated.
    @discardableResult
    static func enforceCap(path: String, cap: Int = defaultCap) throws -> Bool {
        guard let size = FileIO.size(path), size > cap else { return false }
        let source = retryingOnEINTR { open(path, O_RDWR | O_CLOEXEC) }
        if source < 0 { throw PosixError("open", path: path) }
        defer { close(source) }
        let backup = "\(path).1"
        let target = retryingOnEINTR { open(backup, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640) }
        if target < 0 { throw PosixError("create", path: backup) }
        defer { close(target) }
        // Keep the newest `cap` bytes in the copy.
        var offset = off_t(size - cap)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = chunk.withUnsafeMutableBytes { raw in retryingOnEINTR { pread(source, raw.baseAddress, raw.count, offset) } }
            if got < 0 { throw PosixError("read", path: path) }
            if got == 0 { break }
            try FileIO.writeAll(target, Array(chunk[0..<got]), path: backup)
            offset += off_t(got)
        }
        if ftruncate(source, 0) != 0 { throw PosixError("truncate", path: path) }
        return true
    }
}
