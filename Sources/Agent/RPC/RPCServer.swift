import CAgentSupport
import Shared
#if canImport(Glibc)
import Glibc
#endif

/// Serves the Unix socket: one thread accepts, one thread per connection reads lines, and
/// each request is answered by its own child task, so a slow `stop` does not hold up a
/// `status` sent after it on the same connection. Responses are written whole, one at a time.
///
/// ``stop()`` ends it in order: no new connections, no more reading, and ``run()`` returns
/// once every request already read has been answered.
final class RPCServer: Sendable {
    private let listener: Int32
    private let handler: RequestHandler
    private let requests: AsyncStream<Request>
    private let incoming: AsyncStream<Request>.Continuation
    /// Connections still being read, and whether the server is stopping.
    private let state = Locked((reading: Set<Int32>(), stopping: false))

    /// One request line and the connection that answers it.
    private struct Request: Sendable {
        let connection: Connection
        let line: [UInt8]
    }

    init(listener: Int32, handler: RequestHandler) {
        self.listener = listener
        self.handler = handler
        (requests, incoming) = AsyncStream.makeStream(of: Request.self)
    }

    /// Serves until ``stop()``, then returns once the requests read before it are answered.
    func run() async {
        Threads.detach { [self] in acceptLoop() }
        await withDiscardingTaskGroup { group in
            for await request in requests {
                group.addTask { [handler] in
                    request.connection.send(await handler.handle(request.line))
                    request.connection.end()
                }
            }
        }
    }

    /// Stops accepting and reading; requests already read are still answered.
    func stop() {
        let first = state.withLock { state in
            guard !state.stopping else { return false }
            state.stopping = true
            // Under the lock: a reader closes its socket only after leaving `reading`, so
            // these descriptors are still the connections' own.
            for fd in state.reading { shutdown(fd, Int32(SHUT_RD)) }
            return true
        }
        guard first else { return }
        // On Linux this wakes a thread blocked in accept() (EINVAL); close() would not.
        shutdown(listener, Int32(SHUT_RDWR))
        incoming.finish()
    }

    private func acceptLoop() {
        while true {
            let fd = jf_accept_cloexec(listener)
            if fd < 0 {
                if errno == EBADF || errno == EINVAL { break }
                // EMFILE and friends: back off instead of spinning.
                if errno != EINTR && errno != ECONNABORTED { usleep(100_000) }
                continue
            }
            let accepted = state.withLock { state in
                guard !state.stopping else { return false }
                state.reading.insert(fd)
                return true
            }
            guard accepted else {
                close(fd)
                break
            }
            Threads.detach { [self] in serve(Connection(fd: fd)) }
        }
        close(listener)
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
                if case .terminated = incoming.yield(Request(connection: connection, line: bytes)) {
                    // Shutting down: nobody will answer it.
                    connection.end()
                }
            }
        }
        _ = state.withLock { $0.reading.remove(connection.fd) }
        connection.finishReading()
    }
}
