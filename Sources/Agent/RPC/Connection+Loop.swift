import Shared
#if canImport(Glibc)
import Glibc
#endif

extension Connection {
    /// The connection's own thread: reads request lines while fewer than ``maxInFlight`` are
    /// unanswered, writes queued answers when the socket takes them, and closes the socket
    /// when it is done. `deliver` hands a request line to a task (and returns false when the
    /// server no longer takes requests); `refuse` answers a line that is too long.
    func run(deliver: (Connection, [UInt8]) -> Bool, refuse: (Connection) -> Void) {
        var lines = LineBuffer(maxLength: AgentProtocol.maxLineBytes)
        var chunk = [UInt8](repeating: 0, count: 16384)
        // The client sent its last byte; lines already read are still taken as slots free.
        var atEnd = false
        while true {
            let (reading, slots, writing, done) = state.withLock { state in
                (state.reading && !state.dropped, Self.maxInFlight - state.inFlight, !state.queued.isEmpty,
                 state.dropped || (!state.reading && state.inFlight == 0 && state.queued.isEmpty))
            }
            if done { break }
            if reading && slots > 0 {
                if let line = lines.next() {
                    take(line, deliver: deliver, refuse: refuse)
                    continue
                }
                if atEnd {
                    if let last = lines.finish() { take(last, deliver: deliver, refuse: refuse) }
                    state.withLock { $0.reading = false }
                    continue
                }
            }
            let wantRead = reading && slots > 0 && !atEnd
            // A descriptor of -1 is left out: a closed peer's POLLHUP would otherwise wake a
            // paused connection again and again.
            var fds = [pollfd(fd: wantRead || writing ? fd : -1,
                              events: Int16((wantRead ? POLLIN : 0) | (writing ? POLLOUT : 0)), revents: 0),
                       pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            if fds[1].revents != 0 { drainWakeups() }
            let events = Int32(fds[0].revents)
            if writing && events & Int32(POLLOUT | POLLERR | POLLHUP) != 0 {
                state.withLock { flush(&$0) }
            }
            if wantRead && events & Int32(POLLIN | POLLHUP | POLLERR) != 0 {
                let count = chunk.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress, raw.count) }
                if count > 0 {
                    lines.append(chunk[0..<count])
                } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    atEnd = true
                }
            }
        }
        state.withLock { state in
            state.closed = true
            close(fd)
        }
    }

    private func take(_ line: LineBuffer.Line, deliver: (Connection, [UInt8]) -> Bool, refuse: (Connection) -> Void) {
        switch line {
        case .tooLong:
            refuse(self)
        case .line(let bytes):
            if bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { return }
            begin()
            if !deliver(self, bytes) { end() }
        }
    }
}
