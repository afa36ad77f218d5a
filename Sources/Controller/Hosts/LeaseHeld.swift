import Shared

/// Another operator holds a host's deployment lease.
struct LeaseHeld: Error, CustomStringConvertible {
    /// The host, as `name (address:port)`.
    var host: String
    /// The lease that stands in the way, when the agent said.
    var holder: LeaseInfo?
    var description: String {
        guard let holder else { return "\(host): the deployment lease is held by another operator" }
        return "\(host): the deployment lease is held by \(holder.owner) until \(Format.rfc3339(holder.expiresAt)); "
            + "wait for it to finish, or for the lease to lapse"
    }
}
