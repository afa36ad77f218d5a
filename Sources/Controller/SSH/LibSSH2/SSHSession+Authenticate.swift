import CLibSSH2
import Foundation

extension SSHSession {
    /// Offers the target's identities, ssh-agent first when enabled, then each key file, until
    /// the host accepts one. RSA keys are offered (an old sshd may still take them), but when
    /// they are refused the error explains why and what to use instead.
    func authenticate(until deadline: Deadline) throws {
        let authentication = target.authentication
        var attempts = AuthenticationAttempts()
        if authentication.useAgent, try authenticateWithAgent(until: deadline, attempts: &attempts) {
            return
        }
        for path in authentication.identityFiles {
            if try authenticate(withKeyFile: path, until: deadline, attempts: &attempts) { return }
        }
        throw markBroken(attempts.failure(host: target.label, user: target.user))
    }

    private func authenticate(withKeyFile path: String, until deadline: Deadline,
                              attempts: inout AuthenticationAttempts) throws -> Bool {
        // The manifest's default identities (~/.ssh/id_ed25519, id_ecdsa) need not all exist.
        guard FileManager.default.fileExists(atPath: path) else {
            attempts.note("no identity file \(path)")
            return false
        }
        let info: PrivateKeyInfo
        do {
            guard let parsed = try PrivateKeyInfo.read(path: path) else {
                throw SSHError(host: target.label, kind: .identityUnusable,
                               message: "identity file \(path) is not a private key JobFleet can read",
                               hint: "use an OpenSSH or PEM ed25519/ECDSA key (ssh-keygen -t ed25519)")
            }
            info = parsed
        } catch let error as IdentityError {
            throw SSHError(host: target.label, kind: .identityUnusable, message: error.description)
        }
        var passphrase: String?
        if info.isEncrypted {
            do {
                passphrase = try Passphrases.shared.passphrase(forKeyAt: path, authentication: target.authentication)
            } catch {
                throw SSHError(host: target.label, kind: .identityUnusable, message: "\(error)")
            }
        }
        let user = target.user
        let code = try withOptionalCString(passphrase) { secret in
            try authenticationCall("authenticating with \(path)", until: deadline) {
                libssh2_userauth_publickey_fromfile_ex(raw, user, UInt32(user.utf8.count), nil, path, secret)
            }
        }
        switch code {
        case 0:
            return true
        case LIBSSH2_ERROR_FILE, LIBSSH2_ERROR_KEYFILE_AUTH_FAILED:
            let reason = info.isEncrypted
                ? "wrong passphrase for identity file \(path) (from \(target.authentication.passphraseVariable) or the terminal)"
                : "libssh2 cannot use identity file \(path)"
            throw markBroken(SSHError(host: target.label, kind: .identityUnusable, message: reason,
                                      hint: info.isEncrypted ? "check the passphrase" : "use an OpenSSH or PEM ed25519/ECDSA key"))
        default:
            attempts.refused("key file \(path)", algorithm: info.algorithm)
            return false
        }
    }

    private func authenticateWithAgent(until deadline: Deadline, attempts: inout AuthenticationAttempts) throws -> Bool {
        guard let agent = libssh2_agent_init(raw) else {
            throw failure(code: libssh2_session_last_errno(raw), doing: "preparing ssh-agent authentication")
        }
        defer { libssh2_agent_free(agent) }
        let socket = target.authentication.agentSocket ?? ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"]
        guard let socket, !socket.isEmpty else {
            attempts.note("ssh-agent not available (SSH_AUTH_SOCK is not set)")
            return false
        }
        libssh2_agent_set_identity_path(agent, socket)
        guard libssh2_agent_connect(agent) == 0 else {
            attempts.note("cannot reach ssh-agent at \(socket)")
            return false
        }
        defer { libssh2_agent_disconnect(agent) }
        guard libssh2_agent_list_identities(agent) == 0 else {
            attempts.note("ssh-agent at \(socket) did not list its keys")
            return false
        }
        var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
        var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
        var offered = 0
        while libssh2_agent_get_identity(agent, &identity, previous) == 0, let current = identity {
            previous = current
            offered += 1
            let blob = Array(UnsafeRawBufferPointer(start: current.pointee.blob, count: Int(current.pointee.blob_len)))
            let type = KnownHostsText.keyType(ofBlob: blob) ?? "unknown"
            let comment = current.pointee.comment.map { String(cString: $0) } ?? ""
            let user = target.user
            let code = try authenticationCall("authenticating with ssh-agent", until: deadline) {
                libssh2_agent_userauth(agent, user, current)
            }
            if code == 0 { return true }
            attempts.refused("agent key \(comment.isEmpty ? type : comment)", algorithm: PrivateKeyInfo.algorithm(ofKeyType: type))
        }
        if offered == 0 { attempts.note("ssh-agent at \(socket) holds no keys (ssh-add one)") }
        return false
    }

    /// Like `call`, but returns the codes that mean "the host refused this key" or "libssh2
    /// cannot use this key file" instead of throwing them, so the next identity can be tried.
    private func authenticationCall(_ what: String, until deadline: Deadline, _ body: () -> Int32) throws -> Int32 {
        while true {
            let code = body()
            switch code {
            case LIBSSH2_ERROR_EAGAIN:
                try waitForSocket(until: deadline, doing: what)
            case 0, LIBSSH2_ERROR_AUTHENTICATION_FAILED, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED,
                 LIBSSH2_ERROR_FILE, LIBSSH2_ERROR_KEYFILE_AUTH_FAILED, LIBSSH2_ERROR_METHOD_NOT_SUPPORTED,
                 LIBSSH2_ERROR_AGENT_PROTOCOL:
                return code
            default:
                _ = try check(code, what)
                return code
            }
        }
    }
}

/// What was offered and refused, for one error message at the end.
struct AuthenticationAttempts {
    private(set) var refused: [String] = []
    private(set) var notes: [String] = []
    private(set) var rsaRefused = false

    mutating func refused(_ identity: String, algorithm: PrivateKeyInfo.Algorithm) {
        refused.append(identity)
        if algorithm == .rsa { rsaRefused = true }
    }

    mutating func note(_ text: String) { notes.append(text) }

    /// The error once every identity has failed. An RSA refusal gets its own explanation,
    /// since the fix is a new key, not a change on the host.
    func failure(host: String, user: String) -> SSHError {
        var parts: [String] = []
        if !refused.isEmpty { parts.append("refused \(refused.joined(separator: ", "))") }
        parts += notes
        let detail = parts.isEmpty ? "no identity configured" : parts.joined(separator: "; ")
        if rsaRefused {
            return SSHError(
                host: host, kind: .authenticationFailed,
                message: "authentication as \(user) failed (\(detail)): libssh2 1.10 can sign with RSA keys only using SHA-1 (ssh-rsa), which OpenSSH 8.8 and later refuse",
                hint: "use an ed25519 or ECDSA key instead (ssh-keygen -t ed25519) and add its .pub to the host's authorized_keys")
        }
        return SSHError(
            host: host, kind: .authenticationFailed,
            message: "authentication as \(user) failed (\(detail))",
            hint: "check that the public key is in ~\(user)/.ssh/authorized_keys on the host and that the user is right")
    }
}

/// Passes an optional Swift string to C as a pointer or NULL.
func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) throws -> R) rethrows -> R {
    guard let string else { return try body(nil) }
    return try string.withCString { try body($0) }
}
