#if canImport(Glibc)
import Glibc
#endif

/// One agent per BK_HOME: an exclusive flock on the pid file, held for the process's life.
/// The kernel drops the lock when the process dies, even by `kill -9`, so a stale pid file
/// never blocks a new agent.
struct InstanceLock {
    let path: String
    let fd: Int32

    /// Takes the lock and writes our pid, or explains who holds it.
    static func acquire(_ path: String) throws -> InstanceLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw PosixError("open", path: path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = FileIO.readText(path)?.trimmed ?? "?"
            close(fd)
            throw LockError(message: "another jobfleet-agent (pid \(holder)) already serves this BK_HOME (\(path) is locked); "
                + "use `jobfleet-agent rpc` to talk to it, or stop it first")
        }
        ftruncate(fd, 0)
        try FileIO.writeAll(fd, Array("\(getpid())\n".utf8), path: path)
        return InstanceLock(path: path, fd: fd)
    }

    /// Removes the pid file at a clean exit (the lock itself goes with the process).
    func release() {
        unlink(path)
        close(fd)
    }
}

/// The pid file is locked by another agent.
struct LockError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
