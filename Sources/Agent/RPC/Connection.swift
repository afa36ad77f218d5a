import Shared
#if canImport(Glibc)
import Glibc
#endif

/// One client connection and what it may cost the agent.
///
/// Requests are answered by tasks on Swift's small cooperative pool, the same threads the
/// supervisor runs on, so an answer must never wait for the client. Answers are queued and
/// written without blocking (by the task when the socket takes them at once, by the
/// connection's own thread when it can take more); reading stops while
/// ``maxInFlight`` requests are unanswered; a client whose unread answers pass
/// ``maxQueuedBytes`` is dropped, with a line in the agent log. The socket is closed once
/// reading is over, every request read was answered and the answers are written.
final class Connection: Sendable {
    /// Requests read and not yet answered, per connection, before reading pauses.
    static let maxInFlight = 16
    /// Answers queued for a client that is not reading, before it is dropped. A single answer
    /// is always queued whatever its size (a `logs` answer may be a few MiB of JSON).
    static let maxQueuedBytes = 8 << 20

    let fd: Int32
    private let log: AgentLog?
    /// Wakes the connection's thread from `poll` when an answer is queued or a slot frees.
    private let wake: (read: Int32, write: Int32)
    let state = Locked(State())

    struct State {
        var inFlight = 0
        var reading = true
        var queued: [UInt8] = []
        var dropped = false
        var closed = false
    }

    /// Takes over `fd` (made non-blocking here).
    init(fd: Int32, log: AgentLog? = nil) throws {
        var pair: [Int32] = [-1, -1]
        guard pipe(&pair) == 0 else { throw PosixError("pipe") }
        for end in pair + [fd] {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        self.fd = fd
        self.log = log
        wake = (pair[0], pair[1])
    }

    deinit {
        close(wake.read)
        close(wake.write)
    }

    /// A request was read and handed to a task.
    func begin() { state.withLock { $0.inFlight += 1 } }

    /// A request was answered (or will never be): frees its slot.
    func end() {
        state.withLock { $0.inFlight -= 1 }
        poke()
    }

    /// Stops reading (agent shutdown); answers to what was read are still written.
    func stopReading() {
        state.withLock { $0.reading = false }
        poke()
    }

    /// Queues one answer and writes what the socket takes now; never blocks.
    func send(_ response: AgentResponse) {
        guard let bytes = try? AgentProtocol.line(response) else { return }
        let dropped: Int? = state.withLock { state in
            guard !state.closed && !state.dropped else { return nil }
            if !state.queued.isEmpty && state.queued.count + bytes.count > Self.maxQueuedBytes {
                state.dropped = true
                let total = state.queued.count + bytes.count
                state.queued = []
                return total
            }
            state.queued.append(contentsOf: bytes)
            flush(&state)
            return nil
        }
        if let dropped {
            log?.warning("dropping a client that does not read its answers",
                         ["queued.bytes": String(dropped), "bound.bytes": String(Self.maxQueuedBytes)])
        }
        poke()
    }

    /// Writes queued bytes until the socket would block. Called with the lock held.
    func flush(_ state: inout State) {
        var sent = 0
        state.queued.withUnsafeBytes { raw in
            while sent < raw.count {
                let count = Glibc.send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                if count < 0 {
                    if errno == EINTR { continue }
                    // EAGAIN: the rest waits for POLLOUT. Anything else: the client is gone.
                    if errno != EAGAIN && errno != EWOULDBLOCK { state.dropped = true }
                    return
                }
                sent += count
            }
        }
        state.queued.removeFirst(sent)
        if state.dropped { state.queued = [] }
    }

    /// Wakes the connection's thread; a full pipe already holds a wake-up.
    func poke() {
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    /// Empties the wake pipe.
    func drainWakeups() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wake.read, &buffer, buffer.count) > 0 {}
    }

    var wakeFD: Int32 { wake.read }
}
