import FoundationEssentials
import Shared

/// Judges start gates, blocking; called on a thread of its own. Nil when every gate passes,
/// else why the first that does not.
enum StartGateCheck {
    /// The longest one Consul question or one probe of a gate may take.
    static let timeout = 2.0

    static func run(_ gates: [StartGate]) -> String? {
        for gate in gates {
            if let failure = check(gate) { return failure }
        }
        return nil
    }

    /// One gate: Consul's view when the gate names the host's Consul agent, else any healthy
    /// answer among the probes.
    static func check(_ gate: StartGate) -> String? {
        if let consul = gate.consul { return ConsulHealth.passing(gate.service, at: consul, timeout: timeout) }
        var reasons: [String] = []
        for probe in gate.probes {
            guard let error = HealthProber.run(probe.probe, timeout: min(probe.timeoutSeconds, timeout),
                                               environment: [:], workingDirectory: nil) else { return nil }
            reasons.append(error)
        }
        return "no instance of \(gate.service) answers as healthy (\(reasons.joined(separator: "; ")))"
    }
}

/// Asks the host's Consul agent whether a service has a passing instance, through its HTTP API
/// (`GET /v1/health/service/NAME?passing`), as a DNS lookup of `NAME.service.consul` would.
enum ConsulHealth {
    /// One entry of the answer: a node's instance of the service.
    struct Entry: Decodable {
        struct Service: Decodable {
            var ID: String?
        }
        var Service: Service?
    }

    static func passing(_ service: String, at consul: ConsulEndpoint, timeout: Double) -> String? {
        guard consul.scheme == "http" else {
            return "Consul at \(consul.url): the agent asks Consul over http only"
        }
        do {
            return verdict(try ConsulProbe.get("/v1/health/service/\(service)?passing", from: consul, timeout: timeout),
                           service: service, consul: consul)
        } catch {
            return "Consul at \(consul.url): \(error)"
        }
    }

    /// Nil when the answer lists at least one passing instance.
    static func verdict(_ answer: [UInt8], service: String, consul: ConsulEndpoint) -> String? {
        guard let code = HTTPProbe.statusCode(answer) else { return "Consul at \(consul.url) gave no HTTP answer" }
        guard code == 200 else { return "Consul at \(consul.url) answered \(code)" }
        let body = HTTPProbe.body(of: answer)
        guard let entries = try? JSONDecoder().decode([Entry].self, from: Data(body.utf8)) else {
            return "Consul at \(consul.url) gave an answer that is not a list of instances"
        }
        return entries.isEmpty ? "no passing instance of \(service) in Consul (\(consul.url))" : nil
    }
}
