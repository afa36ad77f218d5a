#if canImport(Glibc)
import Glibc
#endif

/// Unix stream sockets: the daemon's listener and the rpc bridge's connection.
enum UnixSocket {
    /// Binds and listens on `path` with mode 0600: only the owner (the controller's SSH user)
    /// may connect, which is the agent's whole access control.
    static func listen(at path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw PosixError("socket") }
        unlink(path)
        // The umask closes the window between bind and chmod in which the socket would be
        // reachable with default permissions.
        let previous = umask(0o177)
        defer { umask(previous) }
        do {
            try withAddress(path) { address, length in
                if bind(fd, address, length) != 0 { throw PosixError("bind", path: path) }
            }
            if chmod(path, 0o600) != 0 { throw PosixError("chmod", path: path) }
            if Glibc.listen(fd, 64) != 0 { throw PosixError("listen", path: path) }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Connects to the socket at `path`.
    static func connect(to path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw PosixError("socket") }
        do {
            try withAddress(path) { address, length in
                if retryingOnEINTR({ Glibc.connect(fd, address, length) }) != 0 { throw PosixError("connect", path: path) }
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    private static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Void) throws {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw PosixError("socket path too long", path: path, code: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                try body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }
}
