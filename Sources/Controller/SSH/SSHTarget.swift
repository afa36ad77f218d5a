/// Where and how to reach one host over SSH.
///
/// This is the transport's own description of a host, independent of the fleet manifest: the
/// CLI builds one per manifest host, tests build them directly.
public struct SSHTarget: Sendable, Hashable {
    /// The operator's name for the host (the manifest's `name`), first in every message.
    public var name: String
    /// IP address or DNS name to connect to.
    public var address: String
    /// TCP port of the host's sshd.
    public var port: Int
    /// Login user on the host.
    public var user: String
    /// How to prove who we are.
    public var authentication: SSHAuthentication
    /// The OpenSSH known_hosts file that decides whether the host's key is trusted.
    public var knownHostsPath: String
    /// What to do with a host whose key is not in `knownHostsPath` yet.
    public var hostKeyPolicy: HostKeyPolicy
    /// Bound on TCP connect, SSH handshake and authentication together.
    public var connectTimeout: Duration
    /// Default bound on one remote command, one stream read or write, or an upload that stops
    /// making progress; `nil` waits for ever.
    public var commandTimeout: Duration?
    /// How often an idle session sends a keepalive request; `nil` sends none.
    public var keepaliveInterval: Duration?

    /// A target with the defaults an operator would expect: strict host keys, 10 s to connect,
    /// 60 s per command, a keepalive every 15 s.
    public init(name: String, address: String, port: Int = 22, user: String,
                authentication: SSHAuthentication, knownHostsPath: String,
                hostKeyPolicy: HostKeyPolicy = .strict, connectTimeout: Duration = .seconds(10),
                commandTimeout: Duration? = .seconds(60), keepaliveInterval: Duration? = .seconds(15)) {
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.authentication = authentication
        self.knownHostsPath = knownHostsPath
        self.hostKeyPolicy = hostKeyPolicy
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.keepaliveInterval = keepaliveInterval
    }

    /// `address:port`, with IPv6 addresses in brackets.
    public var endpoint: String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    /// `name (address:port)`: how every message names the host.
    public var label: String { "\(name) (\(endpoint))" }
}

/// Whether a host whose key is not yet known may be trusted on first contact.
public enum HostKeyPolicy: String, Sendable, Hashable, CaseIterable {
    /// Refuse unknown hosts; the operator adds them to known_hosts after checking the fingerprint.
    case strict
    /// Trust an unknown host once and record its key; a changed key is still refused.
    case acceptNew = "accept-new"
}
