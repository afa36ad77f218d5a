/// How the agent decides a service is healthy, and how often it asks.
///
/// On the wire the probe is flattened beside the timing fields:
/// `{"type":"http","url":"http://127.0.0.1:10500/actuator/health","user":"admin","password":"…",
///   "expectStatus":200,"startGraceSeconds":120,"intervalSeconds":5}`.
public struct HealthCheckSpec: Codable, Sendable, Equatable {
    /// What to probe.
    public var probe: HealthProbe
    /// After a start, failures during this many seconds do not count against the service.
    public var startGraceSeconds: Double
    /// Seconds between probes.
    public var intervalSeconds: Double
    /// A probe that takes longer fails.
    public var timeoutSeconds: Double
    /// Consecutive successes that make the service healthy.
    public var healthyThreshold: Int
    /// Consecutive failures (after the grace) that make it unhealthy.
    public var unhealthyThreshold: Int

    /// A check with the given probe and timing (defaults: no grace, every 10 s, 3 s timeout, 1 up, 3 down).
    public init(probe: HealthProbe, startGraceSeconds: Double = 0, intervalSeconds: Double = 10,
                timeoutSeconds: Double = 3, healthyThreshold: Int = 1, unhealthyThreshold: Int = 3) {
        self.probe = probe
        self.startGraceSeconds = startGraceSeconds
        self.intervalSeconds = intervalSeconds
        self.timeoutSeconds = timeoutSeconds
        self.healthyThreshold = healthyThreshold
        self.unhealthyThreshold = unhealthyThreshold
    }

    enum CodingKeys: String, CodingKey {
        case type, host, port, url, user, password, expectStatus, expectBodyStatus, command
        case startGraceSeconds, intervalSeconds, timeoutSeconds, healthyThreshold, unhealthyThreshold
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "tcp":
            probe = .tcp(host: try c.decode(String.self, forKey: .host), port: try c.decode(Int.self, forKey: .port))
        case "http":
            probe = .http(HTTPProbeSpec(
                url: try c.decode(String.self, forKey: .url),
                user: try c.decodeIfPresent(String.self, forKey: .user),
                password: try c.decodeIfPresent(String.self, forKey: .password),
                expectStatus: try c.decodeIfPresent(Int.self, forKey: .expectStatus) ?? 200,
                expectBodyStatus: try c.decodeIfPresent(String.self, forKey: .expectBodyStatus)))
        case "command":
            probe = .command(try c.decode([String].self, forKey: .command))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: c, debugDescription: "health check type must be tcp, http or command, got \(other)")
        }
        let d = HealthCheckSpec(probe: probe)
        startGraceSeconds = try c.decodeIfPresent(Double.self, forKey: .startGraceSeconds) ?? d.startGraceSeconds
        intervalSeconds = try c.decodeIfPresent(Double.self, forKey: .intervalSeconds) ?? d.intervalSeconds
        timeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .timeoutSeconds) ?? d.timeoutSeconds
        healthyThreshold = try c.decodeIfPresent(Int.self, forKey: .healthyThreshold) ?? d.healthyThreshold
        unhealthyThreshold = try c.decodeIfPresent(Int.self, forKey: .unhealthyThreshold) ?? d.unhealthyThreshold
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch probe {
        case .tcp(let host, let port):
            try c.encode("tcp", forKey: .type)
            try c.encode(host, forKey: .host)
            try c.encode(port, forKey: .port)
        case .http(let http):
            try c.encode("http", forKey: .type)
            try c.encode(http.url, forKey: .url)
            try c.encodeIfPresent(http.user, forKey: .user)
            try c.encodeIfPresent(http.password, forKey: .password)
            try c.encode(http.expectStatus, forKey: .expectStatus)
            try c.encodeIfPresent(http.expectBodyStatus, forKey: .expectBodyStatus)
        case .command(let argv):
            try c.encode("command", forKey: .type)
            try c.encode(argv, forKey: .command)
        }
        try c.encode(startGraceSeconds, forKey: .startGraceSeconds)
        try c.encode(intervalSeconds, forKey: .intervalSeconds)
        try c.encode(timeoutSeconds, forKey: .timeoutSeconds)
        try c.encode(healthyThreshold, forKey: .healthyThreshold)
        try c.encode(unhealthyThreshold, forKey: .unhealthyThreshold)
    }
}

/// One kind of health probe.
public enum HealthProbe: Sendable, Equatable {
    /// Healthy when a TCP connection to host:port succeeds.
    case tcp(host: String, port: Int)
    /// Healthy when an HTTP GET answers the expected status.
    case http(HTTPProbeSpec)
    /// Healthy when the command exits 0 (run without a shell, in its own session).
    case command([String])
}

/// An HTTP GET probe, e.g. Spring's `/actuator/health` behind basic auth.
public struct HTTPProbeSpec: Sendable, Equatable {
    /// `http://HOST:PORT/PATH` (plain HTTP: the services listen on the host's own address).
    public var url: String
    /// Basic-auth user, if the endpoint needs one.
    public var user: String?
    /// Basic-auth password. A secret: the agent never logs it nor reports it back.
    public var password: String?
    /// The status that means healthy.
    public var expectStatus: Int
    /// When set, the answer's JSON body must also report this `status` (Spring Boot's
    /// `{"status":"UP"}`): an endpoint can answer 200 while saying `DOWN` or `OUT_OF_SERVICE`
    /// when its status mapping was changed. Absent on the wire when nil, so older specs (and
    /// their revisions) stay as they were.
    public var expectBodyStatus: String?
    /// Builds an HTTP probe.
    public init(url: String, user: String? = nil, password: String? = nil, expectStatus: Int = 200,
                expectBodyStatus: String? = nil) {
        self.url = url
        self.user = user
        self.password = password
        self.expectStatus = expectStatus
        self.expectBodyStatus = expectBodyStatus
    }
}
