import CAgentSupport
import Shared
#if canImport(Glibc)
import Glibc
#endif

/// Serves the Unix socket: one thread accepts, one thread per connection reads request lines
/// and writes answers (``Connection``), and each request is answered by its own child task,
/// so a slow `stop` does not hold up a `status` sent after it on the same connection.
///
/// ``stop()`` ends it in order: no new connections, no more reading, and ``run()`` returns
/// once every request already read has been answered and the answers are written (or a
/// short bound has passed, for a client that does not read them).
final class RPCServer: Sendable {
    private let listener: Int32
    private let handler: RequestHandler
    private let log: AgentLog?
    private let requests: AsyncStream<Request>
    private let incoming: AsyncStream<Request>.Continuation
    /// Open connections, and whether the server is stopping.
    private let state = Locked((open: [ObjectIdentifier: Connection](), stopping: false))
    /// How long ``run()`` waits at shutdown for answers still being written.
    static let drainSeconds = 2.0

    /// One request line and the connection that answers it.
    private struct Request: Sendable {
        let connection: Connection
        let line: [UInt8]
    }

    init(listener: Int32, handler: RequestHandler, log: AgentLog? = nil) {
        self.listener = listener
        self.handler = handler
        self.log = log
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
        let deadline = Monotonic.now + Self.drainSeconds
        while state.withLock({ !$0.open.isEmpty }) && Monotonic.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops accepting and reading; requests already read are still answered.
    func stop() {
        let open = state.withLock { state -> [Connection]? in
            guard !state.stopping else { return nil }
            state.stopping = true
            return Array(state.open.values)
        }
        guard let open else { return }
        open.forEach { $0.stopReading() }
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
            guard let connection = try? Connection(fd: fd, log: log) else {
                close(fd)
                continue
            }
            let accepted = state.withLock { state in
                guard !state.stopping else { return false }
                state.open[ObjectIdentifier(connection)] = connection
                return true
            }
            guard accepted else {
                close(fd)
                break
            }
            Threads.detach { [self] in serve(connection) }
        }
        close(listener)
    }

    private func serve(_ connection: Connection) {
        connection.run(
            deliver: { connection, line in
                if case .terminated = incoming.yield(Request(connection: connection, line: line)) { return false }
                return true
            },
            refuse: { connection in
                connection.send(AgentResponse(id: nil, .error(AgentFailure(
                    .malformed, "request line longer than \(AgentProtocol.maxLineBytes) bytes"))))
            })
        _ = state.withLock { $0.open.removeValue(forKey: ObjectIdentifier(connection)) }
    }
}
