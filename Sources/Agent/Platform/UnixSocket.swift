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

/// Reads `\n`-terminated lines from a file descriptor, refusing lines past a limit.
struct LineReader {
    /// A line, or a line that was too long (its bytes dropped up to the next newline).
    enum Line {
        case line([UInt8])
        case tooLong
    }

    let fd: Int32
    let maxLength: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var discarding = false

    init(fd: Int32, maxLength: Int) {
        self.fd = fd
        self.maxLength = maxLength
    }

    /// The next line without its newline, or nil at end of input. A last line without a
    /// newline is still returned.
    mutating func next() -> Line? {
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                compact()
                if discarding {
                    discarding = false
                    return .tooLong
                }
                return .line(line)
            }
            if buffer.count - start > maxLength {
                // Drop what we have and skip to the next newline.
                buffer.removeAll(keepingCapacity: true)
                start = 0
                discarding = true
            }
            let count = chunk.withUnsafeMutableBytes { raw in retryingOnEINTR { read(fd, raw.baseAddress, raw.count) } }
            if count <= 0 {
                if discarding {
                    discarding = false
                    return .tooLong
                }
                if start < buffer.count {
                    let line = Array(buffer[start...])
                    buffer.removeAll()
                    start = 0
                    return .line(line)
                }
                return nil
            }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }

    private mutating func compact() {
        if start > 65536 || start == buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
    }
}
