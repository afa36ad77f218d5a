#if canImport(Glibc)
import Glibc
#endif

/// Keeps a service's console log (its stdout and stderr) under a size cap.
///
/// The service writes the file directly (O_APPEND), not through a pipe to the agent: a pipe
/// would break when the agent restarts and the next write would kill the service with SIGPIPE.
/// So the cap is enforced from outside, as logrotate's `copytruncate` does: the newest part
/// moves to `<file>.1` and the file restarts empty. Output written in the instant between the
/// copy and the truncate is lost; that is the price of never interrupting the service.
///
/// The log directory may belong to the service's own user, who can plant anything in it. So
/// the file is opened with `O_NOFOLLOW` (and refused when it has another hard link), the
/// copy goes to a new file made with `O_EXCL` and is renamed over `<file>.1` — a rename
/// replaces a planted link instead of writing through it — and the truncate goes through the
/// descriptor opened first, never through the name again.
enum ConsoleLog {
    /// The file's name in the service's log directory.
    static let name = "console.log"
    /// Default cap per file (the `.1` copy holds as much again).
    static let defaultCap = 10 << 20

    /// Rotates `name` in `dir` when it exceeds `cap` bytes. Returns true when it rotated.
    @discardableResult
    static func enforceCap(in dir: DirectoryHandle, name: String = name, cap: Int = defaultCap) throws -> Bool {
        guard let entry = dir.status(of: name), Int(entry.st_size) > cap else { return false }
        let source = try dir.openFile(name, O_RDWR)
        defer { close(source) }
        var info = stat()
        guard fstat(source, &info) == 0 else { throw PosixError("stat", path: dir.pathOf(name)) }
        let size = Int(info.st_size)
        guard size > cap else { return false }
        let backup = "\(name).1"
        let (temp, target) = try dir.createExclusive(prefix: ".\(backup)", mode: 0o640)
        do {
            defer { close(target) }
            try copyTail(from: source, size: size, keep: cap, to: target, path: dir.pathOf(temp))
            if fsync(target) != 0 { throw PosixError("fsync", path: dir.pathOf(temp)) }
        } catch {
            try? dir.remove(temp)
            throw error
        }
        do {
            try dir.rename(temp, to: backup)
        } catch {
            try? dir.remove(temp)
            throw error
        }
        dir.sync()
        if ftruncate(source, 0) != 0 { throw PosixError("truncate", path: dir.pathOf(name)) }
        return true
    }

    /// Copies the newest `keep` bytes of the first `size` bytes of `source` to `target`.
    private static func copyTail(from source: Int32, size: Int, keep: Int, to target: Int32, path: String) throws {
        var offset = off_t(size - keep)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = chunk.withUnsafeMutableBytes { raw in retryingOnEINTR { pread(source, raw.baseAddress, raw.count, offset) } }
            if got < 0 { throw PosixError("read", path: path) }
            if got == 0 { break }
            try FileIO.writeAll(target, Array(chunk[0..<got]), path: path)
            offset += off_t(got)
        }
    }
}
