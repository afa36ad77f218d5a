import Foundation
import Shared

/// Opens the TCP connection libssh2 runs over (libssh2 neither resolves nor connects).
enum TCPConnection {
    /// A connected, non-blocking socket with TCP_NODELAY, or an error that says why not.
    /// The connect is bounded by `deadline`; every address the name resolves to is tried.
    static func open(to target: SSHTarget, until deadline: Deadline) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(target.address, String(target.port), &hints, &list)
        guard resolved == 0, let first = list else {
            throw SSHError(host: target.label, kind: .unreachable,
                           message: "cannot resolve \(target.address): \(String(cString: gai_strerror(resolved)))",
                           hint: "check the host's address in the fleet manifest")
        }
        defer { freeaddrinfo(first) }
        var lastErrno: Int32 = 0
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate?.pointee {
            candidate = info.ai_next
            let fd = socket(info.ai_family, info.ai_socktype | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), info.ai_protocol)
            if fd < 0 { lastErrno = errno; continue }
            switch connect(fd, info.ai_addr, info.ai_addrlen) == 0 ? 0 : errno {
            case 0:
                return configured(fd)
            case EINPROGRESS:
                let outcome = waitForConnect(fd, until: deadline)
                if outcome == 0 { return configured(fd) }
                close(fd)
                if outcome == ETIMEDOUT {
                    throw SSHError(host: target.label, kind: .timedOut,
                                   message: "TCP connect timed out after \(deadline.limit.map(DurationText.format) ?? "the deadline")",
                                   hint: "the host is down or a firewall drops the packets; check the address and port")
                }
                lastErrno = outcome
            case let code:
                close(fd)
                lastErrno = code
            }
        }
        throw failure(lastErrno, target: target)
    }

    /// 0 once connected, ETIMEDOUT at the deadline, or the connect's error.
    private static func waitForConnect(_ fd: Int32, until deadline: Deadline) -> Int32 {
        var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while true {
            let remaining = deadline.remainingMilliseconds
            if remaining == 0 { return ETIMEDOUT }
            let ready = poll(&entry, 1, remaining)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { return errno }
            if ready == 0 { continue }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            return error
        }
    }

    /// Small SSH packets must leave at once: without TCP_NODELAY every round trip of the
    /// handshake and of each request can wait for a delayed ACK.
    private static func configured(_ fd: Int32) -> Int32 {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    private static func failure(_ code: Int32, target: SSHTarget) -> SSHError {
        let reason = String(cString: strerror(code))
        switch code {
        case ECONNREFUSED:
            return SSHError(host: target.label, kind: .connectionRefused,
                            message: "connection refused: nothing listens on port \(target.port)",
                            hint: "check that sshd runs on the host and that the manifest has the right port")
        default:
            return SSHError(host: target.label, kind: .unreachable, message: "cannot connect: \(reason)",
                            hint: "check the address, the network route and any firewall")
        }
    }
}
