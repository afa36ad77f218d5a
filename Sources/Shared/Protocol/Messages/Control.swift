/// `start`, `stop` and `restart` parameters.
public struct ControlRequest: Codable, Sendable, Equatable {
    /// Services to act on; at least one. They must be in the desired set.
    public var services: [String]
    /// For stop and restart: answer only once the processes have exited (default true).
    public var wait: Bool
    /// For stop and restart: overrides each service's stop timeout.
    public var stopTimeoutSeconds: Double?

    /// Act on `services`.
    public init(services: [String], wait: Bool = true, stopTimeoutSeconds: Double? = nil) {
        self.services = services
        self.wait = wait
        self.stopTimeoutSeconds = stopTimeoutSeconds
    }

    enum CodingKeys: String, CodingKey { case services, wait, stopTimeoutSeconds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        services = try c.decode([String].self, forKey: .services)
        wait = try c.decodeIfPresent(Bool.self, forKey: .wait) ?? true
        stopTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .stopTimeoutSeconds)
    }
}

/// `start`, `stop` and `restart` result: the status of the services acted on.
public struct ControlResult: Codable, Sendable, Equatable {
    /// Status after the action.
    public var services: [ServiceStatus]
    /// Builds a control result.
    public init(services: [ServiceStatus]) { self.services = services }
}
