#if canImport(Glibc)
import Glibc
#endif

/// Small file helpers on raw system calls: exact control over modes, fsync and atomic renames.
enum FileIO {
    /// The whole file, or nil when it does not exist. A link in the last component is refused
    /// (ELOOP): the files read this way are /proc entries and the agent's own state.
    static func read(_ path: String) throws -> [UInt8]? {
        let fd = retryingOnEINTR { open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw PosixError("open", path: path)
        }
        defer { close(fd) }
        return try readAll(fd, path: path)
    }

    /// Everything from the start of an open file to its end.
    static func readAll(_ fd: Int32, path: String? = nil) throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { raw in retryingOnEINTR { pread(fd, raw.baseAddress, raw.count, offset) } }
            if count < 0 { throw PosixError("read", path: path) }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
            offset += off_t(count)
        }
    }

    /// A small text file such as /proc/PID/stat, or nil when it cannot be read.
    static func readText(_ path: String) -> String? {
        guard let bytes = try? read(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `bytes` so that readers see the old or the new file, never a partial one, even
    /// across a crash: a new temp file (`O_EXCL`, so never an existing file or link), fsync,
    /// rename, fsync of the directory. For the agent's own files in its checked `.jobfleet`.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws {
        let temp = "\(path).tmp-\(getpid())"
        unlink(temp)
        let fd = retryingOnEINTR { open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode) }
        if fd < 0 { throw PosixError("create", path: temp) }
        do {
            try writeAll(fd, bytes, path: temp)
            if fsync(fd) != 0 { throw PosixError("fsync", path: temp) }
            close(fd)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        if rename(temp, path) != 0 {
            let failure = PosixError("rename", path: path)
            unlink(temp)
            throw failure
        }
        syncDirectory(of: path)
    }

    /// Flushes a directory entry change (rename, symlink) to disk.
    static func syncDirectory(of path: String) {
        let dir = parent(of: path)
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// Writes every byte, retrying short writes.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String? = nil) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = retryingOnEINTR { write(fd, buffer.baseAddress! + offset, buffer.count - offset) }
                if written < 0 { throw PosixError("write", path: path) }
                offset += written
            }
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Size in bytes, or nil when missing.
    static func size(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    /// A symlink's target, or nil when `path` is not a symlink.
    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The directory part of a path ("/" for top-level entries).
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }
}
