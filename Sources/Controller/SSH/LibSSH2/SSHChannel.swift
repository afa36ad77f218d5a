import CLibSSH2

/// One exec channel on a session: start a command, feed its input, drain its output, collect
/// how it ended. Used only on its session's thread.
final class SSHChannel: @unchecked Sendable {
    let session: SSHSession
    private let raw: OpaquePointer
    private var freed = false
    /// Whether this channel is still counted in the session's `openChannels`.
    private var counted = true
    /// One read buffer per channel; output is copied out of it as it arrives.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)

    /// libssh2's default receive window (its macro is not visible to Swift).
    private static let window: UInt32 = 2 << 20

    /// Which output stream bytes came from.
    enum Stream: Int32 { case stdout = 0, stderr = 1 }

    /// Opens a session channel and starts `command` on it.
    convenience init(session: SSHSession, command: RemoteCommand, until deadline: Deadline) throws {
        try self.init(session: session, request: "exec", message: command.line, until: deadline)
    }

    /// Opens a session channel and makes `request` ("exec" or "subsystem") with `message`.
    /// A channel the server refuses to open throws `ChannelRefused` after the session's idle
    /// SFTP channel, if any, was closed to make room and the open tried once more.
    init(session: SSHSession, request: String, message: String, until deadline: Deadline) throws {
        self.session = session
        raw = try Self.openChannel(session, until: deadline)
        session.openChannels += 1
        do {
            try session.call(request == "exec" ? "starting the command" : "starting the \(message) subsystem", until: deadline) {
                libssh2_channel_process_startup(raw, request, UInt32(request.utf8.count), message, UInt32(message.utf8.count))
            }
        } catch {
            release(until: .after(.seconds(1), .cleanup))
            throw error
        }
    }

    private static func openChannel(_ session: SSHSession, until deadline: Deadline) throws -> OpaquePointer {
        var madeRoom = false
        var refusedSince: ContinuousClock.Instant?
        while true {
            if let handle = libssh2_channel_open_ex(session.raw, "session", 7, window, UInt32(LIBSSH2_CHANNEL_PACKET_DEFAULT), nil, 0) {
                return handle
            }
            let code = libssh2_session_last_errno(session.raw)
            if code == LIBSSH2_ERROR_CHANNEL_FAILURE {
                let error = session.failure(code: code, doing: "opening a channel")
                if !madeRoom, try session.releaseSFTP(until: deadline) {
                    madeRoom = true
                    continue
                }
                if session.mayRetryRefusal(since: &refusedSince, until: deadline) { continue }
                throw ChannelRefused(error: error, openChannels: session.openChannels)
            }
            _ = try session.check(code, "opening a channel")
            try session.waitForSocket(until: deadline, doing: "opening a channel")
        }
    }

    deinit {
        release(until: .after(.seconds(1), .cleanup))
        buffer.deallocate()
    }

    /// True once the command closed its output and every byte of it has been read.
    var isAtEnd: Bool { libssh2_channel_eof(raw) != 0 }

    /// Reads whatever output is available on both streams without waiting; both are always
    /// read, because unread stderr fills the channel window and stalls stdout for good.
    /// - Returns: whether any byte arrived, and whether libssh2 is waiting on the socket.
    func readAvailable(_ sink: (Stream, UnsafeRawBufferPointer) -> Void) throws -> (progressed: Bool, wouldBlock: Bool) {
        var progressed = false
        var wouldBlock = false
        // Reading one stream drains the socket into libssh2's queue, which can take in data
        // of the other stream after that one was read: go round while either has data queued
        // (a check of the queue, no I/O), or a wait on the socket would sleep on data that
        // has already arrived. Two rounds without a byte end it: then the caller only pauses.
        var idleRounds = 0
        while true {
            wouldBlock = false
            var round = false
            for stream in [Stream.stdout, .stderr] {
                while true {
                    let code = libssh2_channel_read_ex(raw, stream.rawValue, buffer.baseAddress, buffer.count)
                    guard let count = try session.check(code, "reading the command's output") else {
                        wouldBlock = true
                        break
                    }
                    if count == 0 { break }
                    sink(stream, UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                    round = true
                }
            }
            progressed = progressed || round
            guard libssh2_poll_channel_read(raw, 0) != 0 || libssh2_poll_channel_read(raw, 1) != 0 else { break }
            idleRounds = round ? 0 : idleRounds + 1
            if idleRounds == 2 {
                wouldBlock = false
                break
            }
        }
        return (progressed, wouldBlock)
    }

    /// Reads both streams until the command closes its output, or the deadline.
    func readToEnd(until deadline: Deadline, _ sink: (Stream, UnsafeRawBufferPointer) -> Void) throws {
        while true {
            let (progressed, wouldBlock) = try readAvailable(sink)
            if progressed { continue }
            if isAtEnd { return }
            try waitForOutput(wouldBlock: wouldBlock, until: deadline)
        }
    }

    /// Waits for more output after a read pass that found none.
    func waitForOutput(wouldBlock: Bool, until deadline: Deadline) throws {
        if wouldBlock {
            try session.waitForSocket(until: deadline, doing: "waiting for the command")
        } else {
            try session.pause(until: deadline, doing: "waiting for the command")
        }
    }

    /// Writes all of `bytes` to the command's standard input.
    func write(_ bytes: UnsafeRawBufferPointer, until deadline: Deadline) throws {
        var offset = 0
        while offset < bytes.count {
            let code = libssh2_channel_write_ex(raw, 0, bytes.baseAddress! + offset, bytes.count - offset)
            if let count = try session.check(code, "writing to the command") {
                offset += count
            } else {
                try session.waitForSocket(until: deadline, doing: "writing to the command")
            }
        }
    }

    /// Tells the command its standard input has ended.
    func sendEOF(until deadline: Deadline) throws {
        try session.call("closing the command's input", until: deadline) { libssh2_channel_send_eof(raw) }
    }

    /// Closes the channel and reports how the command ended: a signal if sshd reported one
    /// (a killed process also shows exit status 0 in libssh2), the exit status otherwise.
    func finish(until deadline: Deadline) throws -> ExitStatus {
        try session.call("closing the channel", until: deadline) { libssh2_channel_close(raw) }
        try session.call("waiting for the command to exit", until: deadline) { libssh2_channel_wait_closed(raw) }
        var signal: UnsafeMutablePointer<CChar>?
        var signalLength = 0
        _ = libssh2_channel_get_exit_signal(raw, &signal, &signalLength, nil, nil, nil, nil)
        let status: ExitStatus
        if let signal {
            status = .signaled(String(cString: signal))
            libssh2_free(session.raw, signal)
        } else {
            status = .exited(libssh2_channel_get_exit_status(raw))
        }
        release(until: deadline)
        return status
    }

    /// Frees the channel once. A closed session already freed it; a broken one may be
    /// mid-packet, so its channels are left for the session's own free.
    private func release(until deadline: Deadline) {
        if !counted { return }
        counted = false
        session.openChannels -= 1
        guard !freed, !session.isClosed, session.broken == nil else { return }
        freed = true
        _ = try? session.call("freeing the channel", until: deadline) { libssh2_channel_free(raw) }
    }
}

/// The server refused to open one more channel on a session (sshd's `MaxSessions`). The
/// session is unharmed; `openChannels` says how many channels it held at the time.
struct ChannelRefused: Error {
    var error: SSHError
    var openChannels: Int
}
