import Shared

/// How a host's Consul agent is judged: a line that needs Consul (`consul: required`) cannot
/// start its services on a host where no Consul agent answers, since each registers there and
/// finds job-config through it, failing fast otherwise.
public enum ConsulCheck {
    /// The plan's refusal for a host whose agent found no Consul at `consul`.
    public static func refusal(_ consul: ConsulEndpoint, problem: String) -> String {
        "the release's services need a Consul agent at \(consul.url) on this host, but \(problem); "
            + "start the host's Consul agent (or set hosts[].consul_http_port / consul in the manifest to where it "
            + "listens), then plan or deploy again"
    }

    /// `doctor`'s detail for an agent that answered: its node, version and role.
    public static func describe(_ facts: ConsulAgentFacts) -> String {
        let role = facts.server.map { $0 ? "server" : "client" } ?? "agent"
        var text = "\(facts.endpoint.url): \(role) \(facts.node ?? "?") (Consul \(facts.version ?? "?")"
        if let datacenter = facts.datacenter { text += ", datacenter \(datacenter)" }
        return text + ")"
    }
}
