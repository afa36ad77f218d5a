/// `apply` parameters: the whole desired set of services on this host.
public struct ApplyRequest: Codable, Sendable, Equatable {
    /// Every service this host should know about.
    public var services: [ServiceSpec]
    /// When true (default), services not listed are stopped and forgotten.
    public var prune: Bool

    /// Apply `services`, pruning the rest unless `prune` is false.
    public init(services: [ServiceSpec], prune: Bool = true) {
        self.services = services
        self.prune = prune
    }

    enum CodingKeys: String, CodingKey { case services, prune }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        services = try c.decode([ServiceSpec].self, forKey: .services)
        prune = try c.decodeIfPresent(Bool.self, forKey: .prune) ?? true
    }
}

/// `apply` result: what changed, and the resulting status.
public struct ApplyResult: Codable, Sendable, Equatable {
    /// One entry per service touched or listed.
    public var changes: [ServiceChange]
    /// Status after applying (started services are running, not necessarily healthy yet).
    public var services: [ServiceStatus]
    /// Builds an apply result.
    public init(changes: [ServiceChange], services: [ServiceStatus]) {
        self.changes = changes
        self.services = services
    }
}

/// What `apply` did to one service.
public struct ServiceChange: Codable, Sendable, Equatable {
    /// How the spec changed.
    public enum Kind: String, Codable, Sendable {
        case added, updated, unchanged, removed
    }
    /// What the agent did about it.
    public enum Action: String, Codable, Sendable {
        /// Nothing to do.
        case none
        /// A process was started.
        case started
        /// A stop was begun (it completes in the background; see status).
        case stopping
        /// Starting failed (see the agent log and the service's status); retried with backoff.
        case startFailed = "start_failed"
        /// The running process predates the new spec: restart it to apply the change.
        /// Apply never restarts by itself, so the controller keeps control of rollout order.
        case restartNeeded = "restart_needed"
    }
    /// Service name.
    public var service: String
    /// How its spec changed.
    public var change: Kind
    /// What was done.
    public var action: Action
    /// Builds a change.
    public init(service: String, change: Kind, action: Action) {
        self.service = service
        self.change = change
        self.action = action
    }
}
