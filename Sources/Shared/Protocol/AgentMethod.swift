/// The operations an agent answers. The raw value is the `method` field on the wire.
public enum AgentMethod: String, Codable, Sendable, CaseIterable {
    /// Agent version and host facts.
    case hello
    /// Desired and actual state of every supervised service.
    case status
    /// Replace the desired set of services.
    case apply
    /// Start services (clears `failed`).
    case start
    /// Stop services: SIGTERM, wait, SIGKILL.
    case stop
    /// Stop then start services.
    case restart
    /// Point a service's jar link at a release.
    case activate
    /// Read the tail of a service's log.
    case logs
    /// Acquire, renew or release the host's deployment lease.
    case lease
}
