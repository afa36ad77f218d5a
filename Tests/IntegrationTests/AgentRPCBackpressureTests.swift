import Foundation
import Shared
import Testing
import TestSupport

/// One client must not be able to stall the agent: requests in flight per connection are
/// bounded, replies are queued without blocking, and a client that lets its queue grow past
/// the bound is disconnected. Loopback addresses 127.0.9.x (none are bound here).
@Suite("Agent RPC with a client that stops reading", .serialized, .enabled(if: Prerequisites.runIntegration))
struct AgentRPCBackpressureTests {
    @Test("a client pipelines large logs requests and never reads: another client is answered and a killed service is restarted")
    func stalledClientStallsNothing() throws {
        try Prerequisites.require()
        let host = try AgentTestHost(name: "rpc-stall", address: "127.0.9.31")
        defer { host.cleanup() }
        // A service log of 4 MiB, so each reply below is close to its 1 MiB bound.
        let logDir = "\(host.home)/logs/job/job-sleeper"
        try FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
        let line = "2026-01-02 03:04:05.678 INFO  [main] " + String(repeating: "x", count: 200) + "\n"
        try String(repeating: line, count: (4 << 20) / line.utf8.count).write(toFile: "\(logDir)/job-sleeper.log", atomically: false, encoding: .utf8)

        let client = try host.client()
        defer { client.close() }
        let spec = ServiceSpec(name: "job-sleeper", command: ["sleep", "3600"], workingDirectory: "/",
                               restart: RestartPolicy(initialBackoffSeconds: 0.5, maxFailures: 10))
        #expect(try client.send(.apply(ApplyRequest(services: [spec]))).failure == nil)
        let before = try client.waitFor("job-sleeper running") { $0.services.first?.state == .running }.services[0]

        let flood = try RawAgentSocket(home: host.home)
        for _ in 0..<64 {
            try flood.write(.logs(LogsRequest(service: "job-sleeper", lines: 10_000, maxBytes: 1 << 20)))
        }
        // The agent is answering the flood once replies wait unread in this client's socket.
        try Poll.until("the agent to start answering the flood", within: .seconds(60)) { flood.unread >= 64 << 10 }

        kill(before.pid!, SIGKILL)
        let other = try RawAgentSocket(home: host.home)
        var restarted: ServiceStatus?
        try Poll.until("job-sleeper to be restarted while the flood goes unread", within: .seconds(60)) {
            let answer = try other.ask(.status(StatusRequest()))
            guard case .status(let status) = answer.body else { throw SandboxError(message: "status failed: \(answer)") }
            restarted = status.services.first { $0.restarts == 1 && $0.state == .running && $0.pid != before.pid }
            return restarted != nil
        }
        #expect(restarted?.lastExit?.signal == SIGKILL)
        try Poll.until("the agent to drop the client that does not read", within: .seconds(60)) {
            let log = (try? String(contentsOfFile: "\(host.home)/.jobfleet/agent.log", encoding: .utf8)) ?? ""
            return log.contains("dropping a client that does not read its answers")
        }
        #expect(try other.ask(.status(StatusRequest())).failure == nil, "the agent still answers")
    }
}
