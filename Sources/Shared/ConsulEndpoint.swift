#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The Consul agent of one host, as bk-job's services reach it: on the host itself, at
/// `scheme://127.0.0.1:port` (the rendered `spring.cloud.consul.*` of every `application-X.yml`).
public struct ConsulEndpoint: Codable, Sendable, Equatable, Hashable {
    /// `http` or `https` (`CONSUL_SCHEME`).
    public var scheme: String
    /// The agent's HTTP API port on 127.0.0.1 (`CONSUL_HTTP_PORT`).
    public var port: Int

    /// The agent at `scheme://127.0.0.1:port`.
    public init(scheme: String, port: Int) {
        self.scheme = scheme
        self.port = port
    }

    /// The address every service of the host uses for its Consul agent.
    public static let address = "127.0.0.1"

    /// `scheme://127.0.0.1:port`, the agent's HTTP API.
    public var url: String { "\(scheme)://\(Self.address):\(port)" }
}

/// What a host's agent found at a `ConsulEndpoint` (`hello`, when asked).
public struct ConsulAgentFacts: Codable, Sendable, Equatable {
    /// Where it looked.
    public var endpoint: ConsulEndpoint
    /// The Consul agent's node name (its `/v1/agent/self` `Config.NodeName`), when one answered.
    public var node: String?
    /// Its datacenter.
    public var datacenter: String?
    /// Its version (`1.8.7`).
    public var version: String?
    /// True for a server, false for a client agent.
    public var server: Bool?
    /// Why no usable Consul agent answered there; nil when one did (or when not checked).
    public var problem: String?
    /// Why the agent did not look (an `https` endpoint: it speaks plain HTTP only); nil when it did.
    public var unchecked: String?

    /// Facts about the agent at `endpoint`.
    public init(endpoint: ConsulEndpoint, node: String? = nil, datacenter: String? = nil, version: String? = nil,
                server: Bool? = nil, problem: String? = nil, unchecked: String? = nil) {
        self.endpoint = endpoint
        self.node = node
        self.datacenter = datacenter
        self.version = version
        self.server = server
        self.problem = problem
        self.unchecked = unchecked
    }
}
