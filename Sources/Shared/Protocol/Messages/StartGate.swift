/// A condition the agent waits for before it starts a service, on the service's own host:
/// before every start, whether the controller asked for it, an operator did, the agent came
/// back after a reboot or a restart of its own, or a crash is being restarted. It is what
/// upstream's units do with `ExecStartPre=until host job-config.service.consul`: a consumer of
/// job-config does not start (and crash for want of its configuration) before job-config is up.
///
/// A gate passes when any instance of `service` passes: a passing instance in this host's
/// Consul catalog when `consul` is set, else a healthy answer from any of `probes`. Every gate
/// of a spec must pass.
public struct StartGate: Codable, Sendable, Equatable {
    /// The service waited for (`job-config`): status says "waiting for job-config".
    public var service: String
    /// The Consul agent of this host (at 127.0.0.1), asked for a passing instance of `service`.
    public var consul: ConsulEndpoint?
    /// Without Consul: the health checks of `service`'s instances (one per host that runs it).
    public var probes: [HealthCheckSpec]

    /// A gate on `service`, judged through Consul when `consul` is given, else by `probes`.
    public init(service: String, consul: ConsulEndpoint? = nil, probes: [HealthCheckSpec] = []) {
        self.service = service
        self.consul = consul
        self.probes = probes
    }

    enum CodingKeys: String, CodingKey { case service, consul, probes }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        service = try c.decode(String.self, forKey: .service)
        consul = try c.decodeIfPresent(ConsulEndpoint.self, forKey: .consul)
        probes = try c.decodeIfPresent([HealthCheckSpec].self, forKey: .probes) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(service, forKey: .service)
        try c.encodeIfPresent(consul, forKey: .consul)
        if !probes.isEmpty { try c.encode(probes, forKey: .probes) }
    }
}
