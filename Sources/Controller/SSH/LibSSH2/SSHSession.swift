import CLibSSH2
import Foundation
import Shared

/// One libssh2 session with its socket and SFTP channel: the single owner of those handles.
///
/// libssh2 allows one thread at a time per session, so an `SSHSession` is only ever used from
/// its `SessionThread` (hence `@unchecked Sendable`). It runs libssh2 in non-blocking mode and
/// waits with `poll()` against a deadline, so no call can hang beyond its operation's bound.
final class SSHSession: @unchecked Sendable {
    let target: SSHTarget
    let raw: OpaquePointer
    private let socket: Int32
    /// The SFTP subsystem, opened on first upload and kept for the next ones.
    var sftp: OpaquePointer?
    /// Exec and stream channels open on this session now (the SFTP channel not counted).
    var openChannels = 0
    /// Set when a deadline passed or the connection broke. libssh2 may then be in the middle of
    /// a packet, so the session is not used again; later operations report this first failure.
    private(set) var broken: SSHError?
    private(set) var isClosed = false
    private var keepalive = false

    /// Wraps a connected socket in a new non-blocking session with JobFleet's algorithm choices.
    init(target: SSHTarget, socket: Int32) throws {
        guard LibSSH2.initialize(), let raw = libssh2_session_init_ex(nil, nil, nil, nil) else {
            Foundation.close(socket)
            throw SSHError(host: target.label, kind: .protocolFailure, message: "libssh2 could not create a session")
        }
        self.target = target
        self.raw = raw
        self.socket = socket
        libssh2_session_set_blocking(raw, 0)
        for (method, list) in LibSSH2.preferences {
            _ = try check(libssh2_session_method_pref(raw, method, list), "setting algorithm preferences")
        }
    }

    deinit { close() }

    /// sshd frees the slot of a closed channel only after it has reaped what ran on it, so on a
    /// host with MaxSessions 1 the next open can arrive first and be refused. A refusal while
    /// this connection holds no channel is therefore retried every 50 ms for up to 2 s (never past
    /// `deadline`) before it counts as the host's limit; `since` remembers the first refusal.
    func mayRetryRefusal(since: inout ContinuousClock.Instant?, until deadline: Deadline) -> Bool {
        guard openChannels == 0 else { return false }
        let now = ContinuousClock.now
        let first = since ?? now
        since = first
        guard now < first + .seconds(2), now + .milliseconds(50) < deadline.instant else { return false }
        usleep(50_000)
        return true
    }

    // MARK: Return codes and waiting

    /// The one place libssh2 return codes are judged: nil for EAGAIN (wait, then call again),
    /// the value itself on success, and for any other negative code an error built from the
    /// session's last error message.
    func check(_ code: Int, _ what: @autoclosure () -> String) throws -> Int? {
        if code >= 0 { return code }
        if code == Int(LIBSSH2_ERROR_EAGAIN) { return nil }
        throw failure(code: Int32(code), doing: what())
    }

    /// `check` for the many libssh2 functions that return `int`.
    func check(_ code: Int32, _ what: @autoclosure () -> String) throws -> Int32? {
        try check(Int(code), what()).map { Int32($0) }
    }

    /// Calls `body` until it stops asking to wait, waiting on the socket in between.
    @discardableResult
    func call(_ what: @autoclosure () -> String, until deadline: Deadline, _ body: () -> Int32) throws -> Int32 {
        while true {
            if let result = try check(body(), what()) { return result }
            try waitForSocket(until: deadline, doing: what())
        }
    }

    /// `call` for the libssh2 functions that return a handle, and NULL with EAGAIN as last error.
    func open(_ what: @autoclosure () -> String, until deadline: Deadline, _ body: () -> OpaquePointer?) throws -> OpaquePointer {
        while true {
            if let handle = body() { return handle }
            _ = try check(libssh2_session_last_errno(raw), what())
            try waitForSocket(until: deadline, doing: what())
        }
    }

    /// Waits until the socket can move in the direction libssh2 is blocked on. While only
    /// reading, sends keepalives when due. Past the deadline the session is marked broken and a
    /// timeout error names what was being waited for.
    func waitForSocket(until deadline: Deadline, doing what: @autoclosure () -> String) throws {
        let directions = libssh2_session_block_directions(raw)
        var events: Int16 = 0
        if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
        if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
        while true {
            var slice = deadline.remainingMilliseconds
            if slice == 0 { throw timedOut(what(), deadline) }
            if events == 0 {
                // libssh2 asked to retry without naming a direction: look again shortly.
                slice = min(slice, 10)
            } else if keepalive && events == Int16(POLLIN) {
                // Only while nothing is half-sent: a keepalive must not cut into a pending packet.
                var next: Int32 = 0
                _ = try check(libssh2_keepalive_send(raw, &next), "sending a keepalive")
                if next > 0 { slice = min(slice, next * 1000) }
            }
            var entry = pollfd(fd: socket, events: events == 0 ? Int16(POLLIN) : events, revents: 0)
            let ready = poll(&entry, 1, slice)
            if ready > 0 || (ready == 0 && events == 0) { return }
            if ready < 0 && errno != EINTR {
                throw markBroken(SSHError(host: target.label, kind: .connectionLost,
                                          message: "waiting on the connection failed: \(String(cString: strerror(errno)))"))
            }
        }
    }

    /// Gives libssh2 a moment when a call returned "nothing yet" without EAGAIN, so loops that
    /// retry it neither spin nor trust a stale blocking direction.
    func pause(until deadline: Deadline, doing what: @autoclosure () -> String) throws {
        if deadline.hasPassed { throw timedOut(what(), deadline) }
        var entry = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        _ = poll(&entry, 1, min(deadline.remainingMilliseconds, 10))
    }

    /// Turns on keepalives at the target's interval (sent from `waitForSocket`, since in
    /// non-blocking mode libssh2 sends none by itself). Replies are not requested: libssh2 would
    /// queue them unread, and deadlines, not keepalive replies, detect a hung host.
    func enableKeepalive() {
        guard let interval = target.keepaliveInterval, interval > .zero else { return }
        libssh2_keepalive_config(raw, 0, UInt32(max(1, interval.components.seconds)))
        keepalive = true
    }

    // MARK: Failures

    /// Throws the first failure again if the session can no longer be used.
    func ensureUsable() throws {
        if let broken {
            throw SSHError(host: target.label, kind: broken.kind,
                           message: "connection unusable after an earlier failure (\(broken.message))",
                           hint: "reconnect to the host")
        }
        if isClosed {
            throw SSHError(host: target.label, kind: .connectionLost, message: "the connection was already closed")
        }
    }

    /// Records `error` as the reason the session is finished, and returns it.
    @discardableResult
    func markBroken(_ error: SSHError) -> SSHError {
        if broken == nil { broken = error }
        return error
    }

    private func timedOut(_ what: String, _ deadline: Deadline) -> SSHError {
        let limit = deadline.limit.map(DurationText.format) ?? "the deadline"
        let (message, hint): (String, String)
        switch deadline.bound {
        case .connect:
            message = "timed out after \(limit) \(what)"
            hint = "the host or its sshd is not answering (hung, stopped or overloaded); check it, or raise ssh.connect_timeout"
        case .command:
            message = "timed out after \(limit) \(what)"
            hint = "the command did not finish in time and may still be running on the host; check it, or raise --timeout or ssh.command_timeout"
        case .transfer:
            message = "no progress for \(limit) \(what)"
            hint = "the host, its disk or the network stalled; check the host, or raise ssh.command_timeout"
        case .cleanup:
            message = "timed out after \(limit) \(what)"
            hint = "the host stopped answering"
        }
        return markBroken(SSHError(host: target.label, kind: .timedOut, message: message, hint: hint))
    }

    /// An error from a libssh2 code and the session's last error message.
    func failure(code: Int32, doing what: String) -> SSHError {
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        _ = libssh2_session_last_error(raw, &message, &length, 0)
        var detail = message.map { String(cString: $0) } ?? "libssh2 error \(code)"
        if code == LIBSSH2_ERROR_SFTP_PROTOCOL, let sftp {
            detail = SFTPStatus.describe(libssh2_sftp_last_error(sftp))
            return SSHError(host: target.label, kind: .remoteFile, message: "\(what) failed: \(detail)")
        }
        switch code {
        case LIBSSH2_ERROR_SOCKET_DISCONNECT, LIBSSH2_ERROR_SOCKET_SEND, LIBSSH2_ERROR_SOCKET_RECV,
             LIBSSH2_ERROR_SOCKET_NONE, LIBSSH2_ERROR_BANNER_RECV, LIBSSH2_ERROR_BANNER_SEND,
             LIBSSH2_ERROR_DECRYPT, LIBSSH2_ERROR_INVALID_MAC, LIBSSH2_ERROR_SOCKET_TIMEOUT,
             LIBSSH2_ERROR_TIMEOUT:
            return markBroken(SSHError(host: target.label, kind: .connectionLost, message: "\(what) failed: connection lost (\(detail))",
                                       hint: "the host closed the connection or the network dropped it; check the host and its sshd log"))
        case LIBSSH2_ERROR_CHANNEL_FAILURE, LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED, LIBSSH2_ERROR_CHANNEL_CLOSED,
             LIBSSH2_ERROR_CHANNEL_EOF_SENT:
            // One channel was refused or ended; the session itself is fine.
            return SSHError(host: target.label, kind: .protocolFailure, message: "\(what) failed: \(detail)")
        case LIBSSH2_ERROR_KEX_FAILURE, LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE, LIBSSH2_ERROR_METHOD_NONE:
            return markBroken(SSHError(host: target.label, kind: .protocolFailure, message: "\(what) failed: \(detail)",
                                       hint: "JobFleet accepts \(LibSSH2.acceptedAlgorithms); the host's sshd offers none of one kind"))
        default:
            return markBroken(SSHError(host: target.label, kind: .protocolFailure, message: "\(what) failed: \(detail)"))
        }
    }

    /// Closes the SFTP subsystem to free its channel for another (a server with a small
    /// `MaxSessions`); false when none was open. It is opened again when next needed.
    func releaseSFTP(until deadline: Deadline) throws -> Bool {
        guard let sftp else { return false }
        try call("closing SFTP", until: deadline) { libssh2_sftp_shutdown(sftp) }
        self.sftp = nil
        return true
    }

    // MARK: Teardown

    /// Says goodbye to a healthy host within two seconds, then frees everything. Idempotent.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        if broken == nil {
            let deadline = Deadline.after(.seconds(2), .cleanup)
            if let sftp, (try? call("closing SFTP", until: deadline) { libssh2_sftp_shutdown(sftp) }) != nil {
                self.sftp = nil
            }
            _ = try? call("disconnecting", until: deadline) {
                libssh2_session_disconnect_ex(raw, SSH_DISCONNECT_BY_APPLICATION, "jobfleet done", "")
            }
        }
        // From here every send fails at once, so freeing never waits on a hung host.
        shutdown(socket, Int32(SHUT_RDWR))
        if let sftp { _ = libssh2_sftp_shutdown(sftp) }
        sftp = nil
        var attempts = 0
        while libssh2_session_free(raw) == LIBSSH2_ERROR_EAGAIN && attempts < 100 { attempts += 1 }
        Foundation.close(socket)
    }
}
