import CLibSSH2
import Foundation

extension SSHSession {
    /// Checks the key the host presented against the target's known_hosts file, after the
    /// handshake and before any credential is offered. Unknown keys are refused unless the
    /// policy is accept-new, which records them; changed and revoked keys are always refused and
    /// the file is never rewritten.
    func verifyHostKey() throws {
        var length = 0
        var type: Int32 = 0
        guard let key = libssh2_session_hostkey(raw, &length, &type) else {
            throw failure(code: libssh2_session_last_errno(raw), doing: "reading the host key")
        }
        let blob = Array(UnsafeRawBufferPointer(start: key, count: length))
        let presented = PresentedKey(
            typeName: KnownHostsText.keyType(ofBlob: blob) ?? "unknown key type",
            fingerprint: hostKeyFingerprint(),
            base64: Data(blob).base64EncodedString())
        let path = target.knownHostsPath
        let text: String
        do {
            text = try KnownHostsFile.read(path)
        } catch {
            throw SSHError(host: target.label, kind: .hostKeyUnknown, message: "\(error)",
                           hint: "fix the known_hosts path or its permissions")
        }
        let judge = HostKeyJudge(session: self, key: key, length: length, type: type, presented: presented, path: path)
        if try judge.isKnown(in: text) { return }

        switch target.hostKeyPolicy {
        case .strict:
            throw markBroken(SSHError(
                host: target.label, kind: .hostKeyUnknown,
                message: "host key not known: \(presented) is not in \(path)",
                hint: "check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_\(presented.shortType)_key.pub), then add it with `ssh-keyscan -t \(presented.shortType) -p \(target.port) \(target.address) >> \(path)` or connect once with host_keys: accept-new",
                fingerprint: presented.fingerprint))
        case .acceptNew:
            try recordHostKey(judge)
        }
    }

    /// What a known_hosts text says about the key the host presented. Made anew for every text:
    /// the file is judged once when connecting and again under its lock before a key is added.
    fileprivate struct HostKeyJudge {
        let session: SSHSession
        let key: UnsafePointer<CChar>
        let length: Int
        let type: Int32
        let presented: PresentedKey
        let path: String

        var plainRaw: Int32 { LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW }
        var typeBits: Int32 { SSHSession.knownHostKeyBits(forHostKeyType: type) }

        /// True when `text` records this key for the host, false when it knows nothing of the
        /// host; throws when it records another key for it or marks this one revoked.
        func isKnown(in text: String) throws -> Bool {
            let contents = KnownHostsText.parse(text[...])
            let target = session.target
            if contents.revokedKeys.contains(presented.base64) {
                throw session.markBroken(SSHError(
                    host: target.label, kind: .hostKeyRevoked,
                    message: "host key \(presented) is marked @revoked in \(path); refusing to connect",
                    hint: "the host must be given a new key by its administrator", fingerprint: presented.fingerprint))
            }
            guard let hosts = libssh2_knownhost_init(session.raw) else {
                throw session.failure(code: libssh2_session_last_errno(session.raw), doing: "preparing the known_hosts check")
            }
            defer { libssh2_knownhost_free(hosts) }
            for line in contents.entries {
                // A line libssh2 cannot parse is skipped, not allowed to hide the lines after it.
                _ = libssh2_knownhost_readline(hosts, line, line.utf8.count, LIBSSH2_KNOWNHOST_FILE_OPENSSH)
            }
            // With the type bits, entries of other key types are not compared (without them a
            // host known by its ECDSA key would read as a mismatch of its ed25519 key).
            switch session.check(hosts, key: key, length: length, typeMask: plainRaw | typeBits) {
            case LIBSSH2_KNOWNHOST_CHECK_MATCH:
                return true
            case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
                throw session.changedKey(presented, path: path)
            case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
                break
            default:
                throw session.failure(code: libssh2_session_last_errno(session.raw), doing: "checking the host key")
            }
            // Not known under this key type. Known under another? Then a different key is being
            // presented for a host we know: refuse rather than trust it as new.
            if session.check(hosts, key: key, length: length, typeMask: plainRaw) == LIBSSH2_KNOWNHOST_CHECK_MISMATCH {
                throw session.markBroken(SSHError(
                    host: target.label, kind: .hostKeyChanged,
                    message: "the host presented \(presented), but \(path) only has keys of other types for it; refusing to connect",
                    hint: "if the host really has this key, check its fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) and add it: ssh-keyscan -t \(presented.shortType) -p \(target.port) \(target.address) >> \(path)",
                    fingerprint: presented.fingerprint))
            }
            return false
        }
    }

    fileprivate func check(_ hosts: OpaquePointer, key: UnsafePointer<CChar>, length: Int, typeMask: Int32) -> Int32 {
        var entry: UnsafeMutablePointer<libssh2_knownhost>?
        return libssh2_knownhost_checkp(hosts, target.address, Int32(target.port), key, length, typeMask, &entry)
    }

    /// Appends exactly one line for this host, formatted by libssh2 the way OpenSSH reads it.
    /// The file is judged again under its lock: another run may have recorded this host since
    /// it was read, and a second, different key must never be added beside the first.
    private func recordHostKey(_ judge: HostKeyJudge) throws {
        guard let hosts = libssh2_knownhost_init(raw) else {
            throw failure(code: libssh2_session_last_errno(raw), doing: "preparing the known_hosts line")
        }
        defer { libssh2_knownhost_free(hosts) }
        var entry: UnsafeMutablePointer<libssh2_knownhost>?
        let hostField = KnownHostsText.hostField(address: target.address, port: target.port)
        _ = try check(libssh2_knownhost_addc(hosts, hostField, nil, judge.key, judge.length, nil, 0,
                                             judge.plainRaw | judge.typeBits, &entry),
                      "recording the host key")
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        var written = 0
        _ = try check(libssh2_knownhost_writeline(hosts, entry, &buffer, buffer.count, &written, LIBSSH2_KNOWNHOST_FILE_OPENSSH),
                      "formatting the known_hosts line")
        let line = String(decoding: buffer[0..<written].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        do {
            try KnownHostsFile.append(line: line, to: judge.path) { current in try !judge.isKnown(in: current) }
        } catch let error as SSHError {
            throw error
        } catch {
            throw SSHError(host: target.label, kind: .hostKeyUnknown,
                           message: "cannot record new host key \(judge.presented): \(error)",
                           hint: "check that the known_hosts file is writable", fingerprint: judge.presented.fingerprint)
        }
    }

    fileprivate func changedKey(_ presented: PresentedKey, path: String) -> SSHError {
        let pattern = KnownHostsText.hostField(address: target.address, port: target.port)
        return markBroken(SSHError(
            host: target.label, kind: .hostKeyChanged,
            message: "HOST KEY CHANGED: the host presented \(presented), which differs from the key recorded in \(path). Someone may be intercepting the connection, or the host was rebuilt. Refusing to connect; known_hosts was not changed",
            hint: "if the host was rebuilt, check the new fingerprint on the host, then remove the old entry with `ssh-keygen -R '\(pattern)' -f \(path)` and connect again",
            fingerprint: presented.fingerprint))
    }

    /// `SHA256:…` of the host key, as `ssh` prints it.
    private func hostKeyFingerprint() -> String {
        guard let hash = libssh2_hostkey_hash(raw, LIBSSH2_HOSTKEY_HASH_SHA256) else { return "SHA256:?" }
        let digest = UnsafeRawBufferPointer(start: hash, count: 32)
        return KnownHostsText.fingerprint(sha256: Array(digest))
    }

    /// The known_hosts type bits for a `libssh2_session_hostkey` type.
    static func knownHostKeyBits(forHostKeyType type: Int32) -> Int32 {
        switch type {
        case LIBSSH2_HOSTKEY_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA
        case LIBSSH2_HOSTKEY_TYPE_DSS: return LIBSSH2_KNOWNHOST_KEY_SSHDSS
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521
        case LIBSSH2_HOSTKEY_TYPE_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519
        default: return LIBSSH2_KNOWNHOST_KEY_UNKNOWN
        }
    }
}

/// The host key as shown to the operator.
private struct PresentedKey: CustomStringConvertible {
    var typeName: String
    var fingerprint: String
    var base64: String

    /// `ed25519`, `ecdsa`: the name `ssh-keyscan -t` and host key file names use.
    var shortType: String {
        if typeName.hasPrefix("ecdsa") { return "ecdsa" }
        return typeName.hasPrefix("ssh-") ? String(typeName.dropFirst(4)) : typeName
    }

    var description: String { "\(typeName) key \(fingerprint)" }
}
