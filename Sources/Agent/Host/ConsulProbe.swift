import FoundationEssentials
import Shared

/// Asks the host's Consul agent who it is (`GET /v1/agent/self`), for `hello`: whether the
/// agent the services will register with answers, its node name and version.
enum ConsulProbe {
    /// The most of an answer read: `/v1/agent/self` carries the agent's whole configuration,
    /// some tens of KiB.
    static let maxAnswerBytes = 1024 * 1024

    /// What answers at `endpoint` on this host, within `timeout` seconds.
    static func facts(_ endpoint: ConsulEndpoint, timeout: Double = 2) -> ConsulAgentFacts {
        var facts = ConsulAgentFacts(endpoint: endpoint)
        guard endpoint.scheme == "http" else {
            facts.unchecked = "the agent speaks plain HTTP only; \(endpoint.url) is not checked"
            return facts
        }
        do {
            return judge(try get("/v1/agent/self", from: endpoint, timeout: timeout), facts: facts)
        } catch {
            facts.problem = "no Consul agent answers at \(endpoint.url): \(error)"
            return facts
        }
    }

    /// GETs `path` from the Consul agent at `endpoint` (plain HTTP on 127.0.0.1) and returns the
    /// whole answer, at most `maxAnswerBytes`. HTTP/1.0, so the answer is never chunked: the
    /// body is what comes before the close.
    static func get(_ path: String, from endpoint: ConsulEndpoint, timeout: Double) throws -> [UInt8] {
        let target = HTTPProbe.Target(host: ConsulEndpoint.address, port: endpoint.port, path: path)
        var answer: [UInt8] = []
        let deadline = Monotonic.now + timeout
        let connection = try TCPConnection.open(host: target.host, port: target.port, timeout: timeout)
        defer { connection.close() }
        let request = "GET \(target.path) HTTP/1.0\r\nHost: \(target.host):\(target.port)\r\n"
            + "User-Agent: jobfleet-agent\r\nAccept: application/json\r\n\r\n"
        try connection.send(Array(request.utf8), until: deadline)
        while answer.count < maxAnswerBytes && !HTTPProbe.isComplete(answer) {
            let chunk = try connection.receive(limit: 64 * 1024, until: deadline)
            if chunk.isEmpty { break }
            answer += chunk
        }
        return answer
    }

    /// Reads `/v1/agent/self`'s answer into `facts`.
    static func judge(_ answer: [UInt8], facts: ConsulAgentFacts) -> ConsulAgentFacts {
        var facts = facts
        let url = facts.endpoint.url
        guard let code = HTTPProbe.statusCode(answer) else {
            facts.problem = "\(url) answered something that is not HTTP"
            return facts
        }
        guard code == 200 else {
            facts.problem = "\(url)/v1/agent/self answered \(code), not a Consul agent's 200"
            return facts
        }
        guard let me = try? JSONDecoder().decode(AgentSelf.self, from: Data(HTTPProbe.body(of: answer).utf8)),
              let config = me.Config else {
            facts.problem = "\(url)/v1/agent/self answered 200 with something that is not a Consul agent's description"
            return facts
        }
        facts.node = config.NodeName
        facts.datacenter = config.Datacenter
        facts.version = config.Version
        facts.server = config.Server
        return facts
    }

    /// The part of `/v1/agent/self` read here (Consul's own field names).
    // swiftlint:disable identifier_name
    struct AgentSelf: Decodable {
        struct Config: Decodable {
            var NodeName: String?
            var Datacenter: String?
            var Version: String?
            var Server: Bool?
        }
        var Config: Config?
    }
    // swiftlint:enable identifier_name
}
