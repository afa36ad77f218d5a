import Shared

/// Something failed on one host; the message says what and, where it can, what to do.
public struct HostFailure: Error, CustomStringConvertible, Sendable {
    /// The host, as `name (address:port)`, or `controller` for a problem on this machine.
    public var host: String
    /// What failed and, where it can, what to do.
    public var message: String
    /// The agent's own error, when it was the agent that refused.
    public var agent: AgentFailure?

    /// A failure on `host`.
    public init(host: String, message: String, agent: AgentFailure? = nil) {
        self.host = host
        self.message = message
        self.agent = agent
    }

    public var description: String { "\(host): \(message)" }
}
