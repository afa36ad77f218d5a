#if canImport(Glibc)
import Glibc
#endif

/// An open directory that names are resolved against one component at a time, never through
/// a symbolic link: `openat`, `mkdirat`, `renameat`, `unlinkat`, `symlinkat`, `readlinkat`.
///
/// Whoever can write a directory can swap a name in it for a link between a check and a use;
/// they cannot swap a descriptor. So the agent opens every directory it works in as a handle
/// (refusing a link in its place), checks the handle (``verify(_:)``), and works inside it
/// only through the handle.
final class DirectoryHandle {
    let fd: Int32
    /// What it was opened as, for messages only.
    let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Opens `path` as given, following any link in it: the operator chose it, and BK_HOME is
    /// often reached through one (`/data` → `/mnt/disk1/data`). Everything below is opened
    /// from the handle.
    static func open(_ path: String) throws -> DirectoryHandle {
        let fd = retryingOnEINTR { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if fd < 0 { throw PosixError("open directory", path: path) }
        return DirectoryHandle(fd: fd, path: path)
    }

    /// The path of `name` in this directory, for messages.
    func pathOf(_ name: String) -> String { path == "/" ? "/\(name)" : "\(path)/\(name)" }

    /// The directory `name` in this one, made with `mode` first when `create` is given and it is
    /// missing. A link, or anything but a directory, in its place is refused: nothing is
    /// created or changed through it.
    func directory(_ name: String, create mode: mode_t? = nil) throws -> DirectoryHandle {
        if let mode, mkdirat(fd, name, mode) != 0 && errno != EEXIST {
            throw PosixError("mkdir", path: pathOf(name))
        }
        let child = retryingOnEINTR { openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        if child < 0 {
            let code = errno
            // O_DIRECTORY | O_NOFOLLOW answers ENOTDIR for a link, ELOOP on some kernels.
            if code == ENOTDIR || code == ELOOP { throw refusal(of: name, expected: "a directory") }
            throw PosixError("open directory", path: pathOf(name), code: code)
        }
        return DirectoryHandle(fd: child, path: pathOf(name))
    }

    /// Walks `relative` ("logs/job") component by component, as ``directory(_:create:)``.
    func descend(_ relative: String, create mode: mode_t? = nil) throws -> DirectoryHandle {
        var current = self
        for part in relative.split(separator: "/") where part != "." {
            current = try current.directory(String(part), create: mode)
        }
        return current
    }

    /// The directory's own status.
    func status() throws -> stat {
        var info = stat()
        if fstat(fd, &info) != 0 { throw PosixError("stat", path: path) }
        return info
    }

    /// Gives the directory itself to `uid`:`gid` (through the descriptor: a link swapped in
    /// for its name is never followed). Does nothing when they own it already.
    func setOwner(uid: uid_t, gid: gid_t) throws {
        let info = try status()
        guard info.st_uid != uid || info.st_gid != gid else { return }
        if fchown(fd, uid, gid) != 0 { throw PosixError("chown \(uid):\(gid)", path: path) }
    }

    /// Gives every regular file with a single name in this directory to `uid`:`gid`, each
    /// through a descriptor opened without following links: a link is skipped, and so is a
    /// file with a second hard link (another name, perhaps of a file outside, that the change
    /// would reach). For a log directory changing hands, so its new owner can append to the
    /// logs an earlier owner wrote.
    func setOwnerOfFiles(uid: uid_t, gid: gid_t, except kept: Set<String> = []) {
        for name in list() where !kept.contains(name) {
            // Only a name that is a regular file is opened at all: opening a planted device
            // or FIFO may itself have effects.
            guard let entry = status(of: name), (entry.st_mode & S_IFMT) == S_IFREG, entry.st_nlink == 1 else { continue }
            let file = retryingOnEINTR { openat(fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
            guard file >= 0 else { continue }
            defer { close(file) }
            var info = stat()
            guard fstat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_nlink == 1,
                  info.st_uid != uid || info.st_gid != gid else { continue }
            _ = fchown(file, uid, gid)
        }
    }

    /// Status of `name` itself (a link is reported as a link), or nil when it does not exist.
    func status(of name: String) -> stat? {
        var info = stat()
        return fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? info : nil
    }

    /// Opens the regular file `name` with `flags` (`O_NOFOLLOW` and `O_CLOEXEC` are added) and
    /// returns its descriptor. A link, a FIFO or a device is refused; so is, for writing, a
    /// file with a second hard link (another name the write would reach: a link to a root
    /// file made where `fs.protected_hardlinks` is off). The open itself is non-blocking, so a
    /// planted FIFO cannot hang the agent.
    func openFile(_ name: String, _ flags: Int32, mode: mode_t = 0o600) throws -> Int32 {
        let fd = retryingOnEINTR { openat(self.fd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode) }
        if fd < 0 {
            if errno == ELOOP { throw refusal(of: name, expected: "a regular file") }
            throw PosixError("open", path: pathOf(name))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let failure = PosixError("stat", path: pathOf(name))
            close(fd)
            throw failure
        }
        let writing = flags & O_ACCMODE != O_RDONLY
        guard (info.st_mode & S_IFMT) == S_IFREG, !writing || info.st_nlink <= 1 else {
            close(fd)
            let what = (info.st_mode & S_IFMT) == S_IFREG ? "a file with \(info.st_nlink) hard links" : "not a regular file"
            throw UnsafePathError(message: "\(pathOf(name)) is \(what); the agent only writes files of its own with one name: remove it")
        }
        // Regular files ignore O_NONBLOCK, but a child given this descriptor inherits the flag.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// The text of the small regular file `name`, opened as ``openFile(_:_:mode:)`` does.
    func readText(_ name: String) throws -> String {
        let fd = try openFile(name, O_RDONLY)
        defer { close(fd) }
        return String(decoding: try FileIO.readAll(fd, path: pathOf(name)), as: UTF8.self)
    }

    /// Creates a new file under a fresh name (`O_EXCL`: never an existing file or link) and
    /// returns the name and its descriptor.
    func createExclusive(prefix: String, mode: mode_t = 0o600) throws -> (name: String, fd: Int32) {
        for _ in 0..<8 {
            let name = "\(prefix).\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let fd = retryingOnEINTR { openat(self.fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode) }
            if fd >= 0 { return (name, fd) }
            if errno != EEXIST { throw PosixError("create", path: pathOf(name)) }
        }
        throw PosixError("create", path: pathOf("\(prefix).*"), code: EEXIST)
    }

    /// Renames `from` to `to` in this directory; replaces whatever `to` is, a link included
    /// (the link itself, never its target).
    func rename(_ from: String, to: String) throws {
        if renameat(fd, from, fd, to) != 0 { throw PosixError("rename \(pathOf(from)) to", path: pathOf(to)) }
    }

    /// Removes the entry `name` (a file or a link, never what a link points at); missing is fine.
    func remove(_ name: String) throws {
        if unlinkat(fd, name, 0) != 0 && errno != ENOENT { throw PosixError("unlink", path: pathOf(name)) }
    }

    /// Creates the symbolic link `name` → `target`.
    func symlink(_ target: String, at name: String) throws {
        if symlinkat(target, fd, name) != 0 { throw PosixError("symlink", path: pathOf(name)) }
    }

    /// The target of the link `name`, or nil when it is not a link.
    func readLink(_ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlinkat(fd, name, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Names in the directory, without `.` and `..`.
    func list() -> [String] {
        // fdopendir takes the descriptor over, so it gets a duplicate.
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            return []
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Flushes entry changes (a rename, a new link) to disk.
    func sync() { fsync(fd) }

    private func refusal(of name: String, expected: String) -> UnsafePathError {
        let link = status(of: name).map { ($0.st_mode & S_IFMT) == S_IFLNK } ?? false
        let what = link ? "a symbolic link" + (readLink(name).map { " to \($0)" } ?? "") : "not \(expected)"
        return UnsafePathError(message: "\(pathOf(name)) is \(what); the agent does not follow links under BK_HOME: "
            + "remove it (the agent makes \(expected == "a directory" ? "the directory" : "the file") itself)")
    }
}

/// A path the agent refuses to use: a link, another owner, loose permissions. The message says
/// which path and how to fix it.
struct UnsafePathError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
