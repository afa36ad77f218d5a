#if canImport(Glibc)
import Glibc
#endif

/// One agent per BK_HOME: an exclusive flock on the pid file, held for the process's life.
/// The kernel drops the lock when the process dies, even by `kill -9`, so a stale pid file
/// never blocks a new agent.
struct InstanceLock {
    /// The checked `.jobfleet` the pid file lives in.
    let dir: DirectoryHandle
    let name: String
    let fd: Int32

    /// Takes the lock on `name` in `dir` and writes our pid, or explains who holds it. The
    /// file is opened without following links, so the truncate can only reach our own file.
    static func acquire(in dir: DirectoryHandle, name: String = "agent.pid") throws -> InstanceLock {
        let fd = try dir.openFile(name, O_RDWR | O_CREAT, mode: 0o644)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? FileIO.readAll(fd, path: dir.pathOf(name))).map { String(decoding: $0, as: UTF8.self).trimmed } ?? "?"
            close(fd)
            throw LockError(message: "another jobfleet-agent (pid \(holder)) already serves this BK_HOME (\(dir.pathOf(name)) is locked); "
                + "use `jobfleet-agent rpc` to talk to it, or stop it first")
        }
        ftruncate(fd, 0)
        try FileIO.writeAll(fd, Array("\(getpid())\n".utf8), path: dir.pathOf(name))
        return InstanceLock(dir: dir, name: name, fd: fd)
    }

    /// Removes the pid file at a clean exit (the lock itself goes with the process).
    func release() {
        try? dir.remove(name)
        close(fd)
    }
}

/// The pid file is locked by another agent.
struct LockError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
