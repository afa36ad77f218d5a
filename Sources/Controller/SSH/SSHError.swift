/// A failure of the SSH transport, worded for the operator: which host, what failed, what to do.
///
/// A remote command that exits non-zero is not an `SSHError`; it is an `ExecResult` to report.
public struct SSHError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is, for callers that react differently to each.
    public enum Kind: String, Sendable, Hashable {
        /// Nothing listens on the port (connection refused).
        case connectionRefused
        /// The address cannot be resolved or reached.
        case unreachable
        /// A deadline passed: connect, handshake, command, or an upload that stopped moving.
        case timedOut
        /// The host's key is not in known_hosts and the policy is strict.
        case hostKeyUnknown
        /// The host's key differs from the one in known_hosts.
        case hostKeyChanged
        /// The host's key is marked `@revoked` in known_hosts.
        case hostKeyRevoked
        /// The host rejected every identity we offered.
        case authenticationFailed
        /// An identity file could not be used (unreadable, wrong passphrase, unsupported format).
        case identityUnusable
        /// The connection broke (reset, closed by the host, protocol error).
        case connectionLost
        /// A remote file operation failed (permission, missing directory, disk full, …).
        case remoteFile
        /// Uploaded bytes did not hash to what was sent.
        case verificationFailed
        /// The request itself is invalid (for example a relative remote path).
        case invalidRequest
        /// Any other SSH protocol failure.
        case protocolFailure
    }

    /// The host as `name (address:port)`.
    public var host: String
    /// The kind of failure.
    public var kind: Kind
    /// What failed, in a sentence.
    public var message: String
    /// What the operator can do about it, when there is something to say.
    public var hint: String?
    /// The host key fingerprint (`SHA256:…`) for host-key failures.
    public var fingerprint: String?

    /// A failure on `host` of `kind`, with what failed and what to do.
    public init(host: String, kind: Kind, message: String, hint: String? = nil, fingerprint: String? = nil) {
        self.host = host
        self.kind = kind
        self.message = message
        self.hint = hint
        self.fingerprint = fingerprint
    }

    /// `host: message; hint`.
    public var description: String {
        hint.map { "\(host): \(message); \($0)" } ?? "\(host): \(message)"
    }
}
