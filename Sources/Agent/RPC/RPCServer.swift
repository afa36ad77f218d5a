import CAgentSupport
import Shared
#if canImport(Glibc)
import Glibc
#endif

/// Serves the Unix socket: one thread accepts, one thread per connection reads lines, and
/// each request runs as its own task, so a slow `stop` does not hold up a `status` sent
/// after it on the same connection. Responses are written whole, one at a time.
final class RPCServer: Sendable {
    private let listener: Int32
    private let handler: RequestHandler

    init(listener: Int32, handler: RequestHandler) {
        self.listener = listener
        self.handler = handler
    }

    /// Starts accepting in the background.
    func start() {
        Threads.detach { [self] in acceptLoop() }
    }

    private func acceptLoop() {
        while true {
            let fd = jf_accept_cloexec(listener)
            if fd < 0 {
                if errno == EBADF || errno == EINVAL { return }
                // EMFILE and friends: back off instead of spinning.
                if errno != EINTR && errno != ECONNABORTED { usleep(100_000) }
                continue
            }
            Threads.detach { [self] in serve(Connection(fd: fd)) }
        }
    }

    private func serve(_ connection: Connection) {
        var reader = LineReader(fd: connection.fd, maxLength: AgentProtocol.maxLineBytes)
        while let line = reader.next() {
            switch line {
            case .tooLong:
                connection.send(AgentResponse(id: nil, .error(AgentFailure(
                    .malformed, "request line longer than \(AgentProtocol.maxLineBytes) bytes"))))
            case .line(let bytes):
                if bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
                connection.begin()
                let handler = handler
                Task {
                    connection.send(await handler.handle(bytes))
                    connection.end()
                }
            }
        }
        connection.finishReading()
    }
}

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
