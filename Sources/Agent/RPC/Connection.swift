import Shared
#if canImport(Glibc)
import Glibc
#endif

/// One client connection: serialises writes and closes the socket once reading is over and
/// every request in flight has been answered.
final class Connection: Sendable {
    let fd: Int32
    private let state = Locked((inFlight: 0, reading: true, closed: false))

    init(fd: Int32) { self.fd = fd }

    func begin() { state.withLock { $0.inFlight += 1 } }

    func end() {
        state.withLock {
            $0.inFlight -= 1
            closeIfDone(&$0)
        }
    }

    func finishReading() {
        state.withLock {
            $0.reading = false
            closeIfDone(&$0)
        }
    }

    /// Writes one response line; a client that went away is ignored.
    func send(_ response: AgentResponse) {
        guard let bytes = try? AgentProtocol.line(response) else { return }
        state.withLock { state in
            guard !state.closed else { return }
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let sent = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    if sent < 0 {
                        if errno == EINTR { continue }
                        return
                    }
                    offset += sent
                }
            }
        }
    }

    private func closeIfDone(_ state: inout (inFlight: Int, reading: Bool, closed: Bool)) {
        if !state.reading && state.inFlight == 0 && !state.closed {
            state.closed = true
            close(fd)
        }
    }
}
