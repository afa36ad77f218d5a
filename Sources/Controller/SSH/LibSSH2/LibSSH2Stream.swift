/// A command's standard input and output as a line stream, over one channel of a session.
final class LibSSH2Stream: HostStream, @unchecked Sendable {
    private let handle: SessionHandle
    private let state: StreamState
    private let timeout: Duration?

    init(handle: SessionHandle, channel: SSHChannel, timeout: Duration?) {
        self.handle = handle
        self.state = StreamState(channel: channel, host: channel.session.target.label)
        self.timeout = timeout
    }

    func write(_ bytes: [UInt8]) async throws {
        let (state, limit) = (state, timeout)
        try await handle.run { _ in try state.write(bytes, until: .after(limit, .command)) }
    }

    func readLine(timeout: Duration?) async throws -> String? {
        let (state, limit) = (state, timeout ?? self.timeout)
        return try await handle.run { _ in try state.readLine(until: .after(limit, .command)) }
    }

    func finishWriting() async throws {
        let (state, limit) = (state, timeout)
        try await handle.run { _ in try state.finishWriting(until: .after(limit, .command)) }
    }

    func close() async throws -> StreamOutcome {
        let (state, limit) = (state, timeout)
        return try await handle.run { _ in try state.close(until: .after(limit, .command)) }
    }

    deinit {
        // The channel must be released on the session's thread, like every libssh2 call.
        let state = state
        handle.submit { _ in state.release() }
    }
}

/// The stream's channel and buffers; touched only on the session's thread.
private final class StreamState: @unchecked Sendable {
    private var channel: SSHChannel?
    private let host: String
    private var pending: [UInt8] = []
    private var stderrTail: [UInt8] = []
    private var inputClosed = false
    private static let stderrLimit = 64 << 10
    /// A line longer than this is a protocol error, not something to buffer without end.
    private static let lineLimit = 64 << 20

    init(channel: SSHChannel, host: String) {
        self.channel = channel
        self.host = host
    }

    private func open() throws -> SSHChannel {
        guard let channel else {
            throw SSHError(host: host, kind: .invalidRequest, message: "the stream was already closed")
        }
        try channel.session.ensureUsable()
        return channel
    }

    func write(_ bytes: [UInt8], until deadline: Deadline) throws {
        let channel = try open()
        try bytes.withUnsafeBytes { try channel.write($0, until: deadline) }
    }

    func readLine(until deadline: Deadline) throws -> String? {
        let channel = try open()
        var searched = 0
        while true {
            if let newline = pending[searched...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            searched = pending.count
            if pending.count > Self.lineLimit {
                throw SSHError(host: host, kind: .protocolFailure,
                               message: "the remote command sent a line longer than \(Self.lineLimit >> 20) MiB")
            }
            let (progressed, wouldBlock) = try channel.readAvailable(collect)
            if progressed { continue }
            if channel.isAtEnd {
                if pending.isEmpty { return nil }
                defer { pending.removeAll() }
                return String(decoding: pending, as: UTF8.self)
            }
            try channel.waitForOutput(wouldBlock: wouldBlock, until: deadline)
        }
    }

    func finishWriting(until deadline: Deadline) throws {
        let channel = try open()
        if !inputClosed {
            try channel.sendEOF(until: deadline)
            inputClosed = true
        }
    }

    func close(until deadline: Deadline) throws -> StreamOutcome {
        let channel = try open()
        try finishWriting(until: deadline)
        // Output not read yet is dropped, but it must be drained for the command to exit.
        try channel.readToEnd(until: deadline, collect)
        pending.removeAll()
        let status = try channel.finish(until: deadline)
        self.channel = nil
        return StreamOutcome(status: status, stderrTail: String(decoding: stderrTail, as: UTF8.self))
    }

    func release() { channel = nil }

    private func collect(_ stream: SSHChannel.Stream, _ bytes: UnsafeRawBufferPointer) {
        switch stream {
        case .stdout:
            pending.append(contentsOf: bytes)
        case .stderr:
            stderrTail.append(contentsOf: bytes)
            if stderrTail.count > Self.stderrLimit {
                stderrTail.removeFirst(stderrTail.count - Self.stderrLimit)
            }
        }
    }
}
