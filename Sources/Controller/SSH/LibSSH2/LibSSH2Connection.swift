import CLibSSH2
import Foundation

/// The libssh2 implementation of `HostConnection`: one session per host, driven by a thread of
/// its own, reused for every operation of a command.
public final class LibSSH2Connection: HostConnection {
    /// The host this connection reaches.
    public let target: SSHTarget
    let handle: SessionHandle
    /// A second connection to the same host, made only when its sshd refuses another channel
    /// on this one while a stream holds a channel open (`MaxSessions 1`).
    private let spare = SpareConnection()

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
        return try await withRoom { try $0.exec(command, timeout: limit) }
    }

    /// Uploads files verified and atomically; `timeout` bounds how long a transfer may stall.
    @discardableResult
    public func upload(_ files: [UploadRequest], timeout: Duration?,
                       progress: UploadProgressHandler?) async throws -> [UploadResult] {
        let limit = timeout ?? target.commandTimeout
        let digests = PendingDigests(paths: files.map { $0.sha256 == nil ? $0.localPath : nil })
        return try await withRoom { try $0.upload(files, digests: digests, stallTimeout: limit, progress: progress) }
    }

    /// Runs `body` on this session, or, when the host refuses another channel here while
    /// this session holds one open, on the spare connection, which later calls then use
    /// directly. A refusal with nothing else open (or on the spare too) is reported as the
    /// server's session limit.
    private func withRoom<T: Sendable>(_ body: @escaping @Sendable (SSHSession) throws -> T) async throws -> T {
        if let connection = spare.existing {
            return try await Self.limited(target) { try await connection.handle.run(body) }
        }
        do {
            return try await handle.run(body)
        } catch let refused as ChannelRefused {
            guard refused.openChannels > 0 else { throw Self.sessionLimit(target, refused) }
        }
        let connection = try await spare.connection(to: target)
        return try await Self.limited(target) { try await connection.handle.run(body) }
    }

    private static func limited<T>(_ target: SSHTarget, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let refused as ChannelRefused {
            throw sessionLimit(target, refused)
        }
    }

    /// The error for a host whose sshd refuses every channel JobFleet needs at once.
    static func sessionLimit(_ target: SSHTarget, _ refused: ChannelRefused) -> SSHError {
        SSHError(host: target.label, kind: .protocolFailure,
                 message: "the host's sshd refused to open another channel on the connection (\(refused.error.message)); it limits sessions per connection",
                 hint: "set MaxSessions in the host's sshd_config to 2 or more (the default is 10) and reload sshd")
    }

    /// Starts `command` as a line stream; `timeout` bounds each read and write.
    public func openStream(_ command: RemoteCommand, timeout: Duration?) async throws -> any HostStream {
        let limit = timeout ?? target.commandTimeout
        let open: @Sendable (SSHSession) throws -> SSHChannel = { session in
            try session.ensureUsable()
            return try SSHChannel(session: session, command: command, until: .after(limit, .command))
        }
        do {
            return LibSSH2Stream(handle: handle, channel: try await handle.run(open), timeout: limit)
        } catch let refused as ChannelRefused {
            guard refused.openChannels > 0 else { throw Self.sessionLimit(target, refused) }
        }
        let connection = try await spare.connection(to: target)
        let channel = try await Self.limited(target) { try await connection.handle.run(open) }
        return LibSSH2Stream(handle: connection.handle, channel: channel, timeout: limit)
    }

    /// Disconnects politely (bounded to two seconds) and frees the session, and the spare one.
    public func close() async {
        if let connection = spare.existing { await connection.close() }
        _ = try? await handle.run { $0.close() }
    }
}

/// The second connection of a `LibSSH2Connection`, made at most once, when first needed.
private final class SpareConnection: @unchecked Sendable {
    private let lock = NSLock()
    private var made: Task<LibSSH2Connection, any Error>?
    private var ready: LibSSH2Connection?

    /// The spare connection once it is made.
    var existing: LibSSH2Connection? { lock.withLock { ready } }

    /// Connects the spare (once; concurrent callers share the attempt; a failed attempt is
    /// tried again by the next caller).
    func connection(to target: SSHTarget) async throws -> LibSSH2Connection {
        let task = lock.withLock {
            if let made { return made }
            let task = Task { try await LibSSH2Connection.connect(to: target) }
            made = task
            return task
        }
        do {
            let connection = try await task.value
            lock.withLock { ready = connection }
            return connection
        } catch {
            lock.withLock { made = nil }
            throw SSHError(host: target.label, kind: .protocolFailure,
                           message: "the host's sshd refused another channel on the connection (it limits sessions per connection, MaxSessions), and a second connection failed: \(error)",
                           hint: "set MaxSessions in the host's sshd_config to 2 or more")
        }
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
