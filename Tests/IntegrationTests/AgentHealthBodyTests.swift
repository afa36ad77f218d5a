import Foundation
import Shared
import Testing
import TestSupport

/// The body rule of the HTTP probe against a real stand-in's actuator: the same answer is
/// healthy when the body must say UP, and unhealthy, with what it said, when it must say
/// something else.
@Suite("Agent health body check", .serialized, .enabled(if: Prerequisites.runIntegration))
struct AgentHealthBodyTests {
    @Test("a 200 whose body says UP passes expect UP and fails expect OUT_OF_SERVICE, naming both")
    func bodyStatus() throws {
        try Prerequisites.require()
        let host = try AgentTestHost(name: "health-body", address: "127.0.11.22")
        defer { host.cleanup() }
        try host.install(["job-config"])
        let client = try host.client()
        defer { client.close() }
        let activated = try client.send(.activate(ActivateRequest(service: "job-config", release: host.releases["job-config"]!)))
        #expect(activated.failure == nil, "\(activated)")

        func spec(expecting status: String) -> ServiceSpec {
            var spec = host.spec("job-config")
            if case .http(var probe)? = spec.health?.probe {
                probe.expectBodyStatus = status
                spec.health?.probe = .http(probe)
            }
            return spec
        }
        let applied = try client.send(.apply(ApplyRequest(services: [spec(expecting: "UP")])))
        #expect(applied.failure == nil, "\(applied)")
        _ = try client.waitFor("job-config healthy with its body saying UP") { status in
            status.services.contains { $0.name == "job-config" && $0.health.state == .healthy }
        }

        // The same stand-in, answering the same way; only what the probe wants changes. The
        // agent leaves a running service on its old spec until told to restart it.
        _ = try client.send(.apply(ApplyRequest(services: [spec(expecting: "OUT_OF_SERVICE")])))
        _ = try client.send(.restart(ControlRequest(services: ["job-config"])))
        let unhealthy = try client.waitFor("job-config unhealthy: its body says UP, not OUT_OF_SERVICE") { status in
            status.services.contains { $0.name == "job-config" && $0.health.state == .unhealthy }
        }
        let reason = unhealthy.services.first { $0.name == "job-config" }?.health.lastError ?? ""
        #expect(reason.contains(#"reports "status":"UP", expected "OUT_OF_SERVICE""#), "\(reason)")
    }
}
