import Shared

/// Something failed on one host; the message says what and, where it can, what to do.
public struct HostFailure: Error, CustomStringConvertible, Sendable {
    /// The host, as `name (address:port)`, or `controller` for a problem on this machine.
    public var host: String
    /// What failed and, where it can, what to do.
    public var message: String
    /// The agent's own error, when it was the agent that refused.
    public var agent: AgentFailure?
    /// True when the host or its agent could not be reached or did not answer in time (exit
    /// status 2), rather than answering with a failure (1).
    public var unreachable: Bool

    /// A failure on `host`.
    public init(host: String, message: String, agent: AgentFailure? = nil, unreachable: Bool = false) {
        self.host = host
        self.message = message
        self.agent = agent
        self.unreachable = unreachable
    }

    public var description: String { "\(host): \(message)" }

    /// True when `error` means the host, its sshd or its agent could not be reached, refused
    /// the connection or the login, or did not answer in time; false for a failure the host
    /// reported.
    public static func isUnreachable(_ error: any Error) -> Bool {
        switch error {
        case let error as SSHError: unreachableKinds.contains(error.kind)
        case let error as HostFailure: error.unreachable
        case is SessionThreadStopped: true
        default: false
        }
    }

    static let unreachableKinds: Set<SSHError.Kind> = [
        .connectionRefused, .unreachable, .timedOut, .connectionLost,
        .hostKeyUnknown, .hostKeyChanged, .hostKeyRevoked, .authenticationFailed,
    ]
}
