import CLibSSH2

/// The libssh2 implementation of `HostConnection`: one session per host, driven by a thread of
/// its own, reused for every operation of a command.
public final class LibSSH2Connection: HostConnection {
    /// The host this connection reaches.
    public let target: SSHTarget
    private let handle: SessionHandle

    private init(target: SSHTarget, handle: SessionHandle) {
        self.target = target
        self.handle = handle
    }

    /// Connects (bounded TCP connect, handshake with JobFleet's algorithms), verifies the host
    /// key against known_hosts and authenticates, all within the target's connect timeout.
    public static func connect(to target: SSHTarget) async throws -> LibSSH2Connection {
        let thread = SessionThread(name: "ssh \(target.name)")
        do {
            let session = try await thread.run { try SSHSession.connect(to: target) }
            return LibSSH2Connection(target: target, handle: SessionHandle(thread: thread, session: session))
        } catch {
            thread.finish()
            throw error
        }
    }

    /// Runs `command` to completion within `timeout` (default: the target's command timeout).
    public func exec(_ command: RemoteCommand, timeout: Duration?) async throws -> ExecResult {
        let limit = timeout ?? target.commandTimeout
        return try await handle.run { try $0.exec(command, timeout: limit) }
    }

    /// Uploads files verified and atomically; `timeout` bounds how long a transfer may stall.
    @discardableResult
    public func upload(_ files: [UploadRequest], timeout: Duration?,
                       progress: UploadProgressHandler?) async throws -> [UploadResult] {
        let limit = timeout ?? target.commandTimeout
        let digests = PendingDigests(paths: files.map { $0.sha256 == nil ? $0.localPath : nil })
        return try await handle.run { try $0.upload(files, digests: digests, stallTimeout: limit, progress: progress) }
    }

    /// Starts `command` as a line stream; `timeout` bounds each read and write.
    public func openStream(_ command: RemoteCommand, timeout: Duration?) async throws -> any HostStream {
        let limit = timeout ?? target.commandTimeout
        let channel = try await handle.run { session in
            try session.ensureUsable()
            return try SSHChannel(session: session, command: command, until: .after(limit, .command))
        }
        return LibSSH2Stream(handle: handle, channel: channel, timeout: limit)
    }

    /// Disconnects politely (bounded to two seconds) and frees the session.
    public func close() async {
        _ = try? await handle.run { $0.close() }
    }
}

/// Connects with libssh2; the real `HostConnector`.
public struct LibSSH2Connector: HostConnector {
    /// A connector with no state of its own.
    public init() {}

    /// See `LibSSH2Connection.connect(to:)`.
    public func connect(to target: SSHTarget) async throws -> any HostConnection {
        try await LibSSH2Connection.connect(to: target)
    }
}

/// A session and its thread, shared by the connection and the streams opened on it. When the
/// last of them lets go, the session is closed on its own thread and the thread ends.
final class SessionHandle: @unchecked Sendable {
    private let thread: SessionThread
    private let session: SSHSession

    init(thread: SessionThread, session: SSHSession) {
        self.thread = thread
        self.session = session
    }

    /// Runs `body` with the session, on the session's thread.
    func run<T: Sendable>(_ body: @escaping @Sendable (SSHSession) throws -> T) async throws -> T {
        try await thread.run { [session] in try body(session) }
    }

    /// Runs `body` on the session's thread without waiting for it.
    func submit(_ body: @escaping @Sendable (SSHSession) -> Void) {
        thread.submit { [session] in body(session) }
    }

    deinit {
        thread.submit { [session] in session.close() }
        thread.finish()
    }
}

extension SSHSession {
    /// TCP connect, handshake, host key check and authentication, within the connect timeout.
    static func connect(to target: SSHTarget) throws -> SSHSession {
        let deadline = Deadline.after(target.connectTimeout, .connect)
        let socket = try TCPConnection.open(to: target, until: deadline)
        let session = try SSHSession(target: target, socket: socket)
        do {
            try session.call("waiting for the SSH handshake", until: deadline) {
                libssh2_session_handshake(session.raw, socket)
            }
        } catch let error as SSHError where error.kind == .connectionLost {
            throw SSHError(host: target.label, kind: .protocolFailure,
                           message: "SSH handshake failed: \(error.message)",
                           hint: "check that an sshd answers on port \(target.port) and accepts \(LibSSH2.acceptedAlgorithms)")
        }
        try session.verifyHostKey()
        try session.authenticate(until: deadline)
        session.enableKeepalive()
        return session
    }
}
