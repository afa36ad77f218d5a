#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection with timeouts, for health probes. Blocking: runs on a probe thread.
struct TCPConnection {
    let fd: Int32

    /// Connects to host:port (numeric address or a name the resolver knows) within `timeout` seconds.
    static func open(host: String, port: Int, timeout: Double) throws -> TCPConnection {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw ProbeError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        let deadline = Monotonic.now + timeout
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            if fd < 0 { continue }
            if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 || errno == EINPROGRESS {
                if let failure = wait(fd, for: Int16(POLLOUT), until: deadline) {
                    lastError = failure
                    Glibc.close(fd)
                    continue
                }
                var code: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                if code == 0 { return TCPConnection(fd: fd) }
                lastError = String(cString: strerror(code))
            } else {
                lastError = String(cString: strerror(errno))
            }
            Glibc.close(fd)
        }
        throw ProbeError("connect \(host):\(port): \(lastError)")
    }

    func close() { Glibc.close(fd) }

    /// Sends all bytes before `deadline`.
    func send(_ bytes: [UInt8], until deadline: Double) throws {
        var offset = 0
        while offset < bytes.count {
            if let failure = Self.wait(fd, for: Int16(POLLOUT), until: deadline) { throw ProbeError("send: \(failure)") }
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw ProbeError("send: \(String(cString: strerror(errno)))")
            }
            offset += sent
        }
    }

    /// Reads what is available (at most `limit` bytes) before `deadline`; empty at end of stream.
    func receive(limit: Int, until deadline: Double) throws -> [UInt8] {
        while true {
            if let failure = Self.wait(fd, for: Int16(POLLIN), until: deadline) { throw ProbeError("receive: \(failure)") }
            var buffer = [UInt8](repeating: 0, count: limit)
            let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if got < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw ProbeError("receive: \(String(cString: strerror(errno)))")
            }
            return Array(buffer[0..<got])
        }
    }

    /// Waits until `fd` is ready; returns why not when the deadline passes or an error shows.
    private static func wait(_ fd: Int32, for events: Int16, until deadline: Double) -> String? {
        while true {
            let remaining = deadline - Monotonic.now
            if remaining <= 0 { return "timed out" }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, Int32(min(remaining * 1000, 60_000)) + 1)
            if ready < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            if ready > 0 { return nil }
        }
    }
}

/// Why a probe failed, in words for the status.
struct ProbeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
