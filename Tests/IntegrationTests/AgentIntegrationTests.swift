import Foundation
import Shared
import Testing
import TestSupport

/// The agent with real stand-in JVMs, each test on its own BK_HOME and loopback address
/// (127.0.4.x). Serialized to keep the JVM count low on a two-core machine.
@Suite("Agent with stand-in services", .serialized, .enabled(if: Prerequisites.runIntegration))
struct AgentIntegrationTests {
    func allHealthy(_ names: [String]) -> (StatusResult) -> Bool {
        { status in
            names.allSatisfy { name in
                status.services.contains { $0.name == name && $0.state == .running && $0.health.state == .healthy }
            }
        }
    }

    func activate(_ client: AgentTestClient, _ host: AgentTestHost, _ services: [String]) throws {
        for service in services {
            let response = try client.send(.activate(ActivateRequest(service: service, release: host.releases[service]!)))
            #expect(response.failure == nil, "\(response)")
        }
    }

    @Test("apply three services → all healthy; kill -9 → restarted with backoff; stop → SIGTERM and exit 143; logs with grep; malformed JSON")
    func lifecycle() throws {
        try Prerequisites.require()
        let host = try AgentTestHost(name: "lifecycle", address: "127.0.4.21")
        defer { host.cleanup() }
        let services = ["job-config", "job-manage", "job-backup"]
        try host.install(services)
        let client = try host.client()
        defer { client.close() }
        try activate(client, host, services)

        let applied = try client.send(.apply(ApplyRequest(services: services.map { host.spec($0) })))
        guard case .apply(let result) = applied.body else { Issue.record("apply failed: \(applied)"); return }
        #expect(result.changes.map(\.action) == [.started, .started, .started])
        let healthy = try client.waitFor("three healthy services", allHealthy(services))
        for service in healthy.services {
            #expect(service.release == host.releases[service.name])
            #expect(service.healthySince != nil)
            #expect((service.rssBytes ?? 0) > 1 << 20)
            #expect(service.pid != nil && service.restarts == 0 && !service.adopted)
        }

        // kill -9 of a service: restarted after backoff, restart count up.
        let before = try client.service("job-manage")
        let killedAt = Date()
        kill(before.pid!, SIGKILL)
        let after = try client.waitFor("job-manage restarted", timeout: 60) { status in
            status.services.contains { $0.name == "job-manage" && $0.restarts == 1 && $0.pid != before.pid && $0.state == .running }
        }.services.first { $0.name == "job-manage" }!
        #expect(after.lastExit?.signal == SIGKILL)
        #expect(after.lastExit?.requested == false)
        let agentLog = try String(contentsOfFile: "\(host.home)/.jobfleet/agent.log", encoding: .utf8)
        #expect(agentLog.contains("restart scheduled service.name=job-manage backoff.seconds=0.5"), "restarted after the backoff")
        #expect(after.startedAt!.timeIntervalSince(killedAt) >= -1, "protocol dates have whole seconds")
        try client.waitFor("job-manage healthy again", allHealthy(["job-manage"]))

        // stop: SIGTERM, the stand-in drains and exits 143, recorded.
        let stopped = try client.send(.stop(ControlRequest(services: ["job-backup"])))
        guard case .stop(let stop) = stopped.body, let backup = stop.services.first else { Issue.record("stop failed: \(stopped)"); return }
        #expect(backup.state == .stopped)
        #expect(backup.desired == .stopped)
        #expect(backup.lastExit?.code == 143)
        #expect(backup.lastExit?.stopStep == "SIGTERM")
        #expect(backup.lastExit?.requested == true)
        #expect(host.processes(matching: "job-backup.jar").isEmpty)

        // logs with grep: matching lines only, within the byte bound.
        let logs = try client.send(.logs(LogsRequest(service: "job-manage", lines: 50, grep: "Started|Tomcat started", maxBytes: 4096)))
        guard case .logs(let tail) = logs.body else { Issue.record("logs failed: \(logs)"); return }
        #expect(tail.lines.count >= 2, "one start before the kill, one after")
        #expect(tail.lines.allSatisfy { $0.contains("Started") || $0.contains("Tomcat started") })
        #expect(tail.lines.reduce(0) { $0 + $1.utf8.count + 1 } <= 4096)
        let small = try client.send(.logs(LogsRequest(service: "job-manage", lines: 1000, maxBytes: 300)))
        guard case .logs(let bounded) = small.body else { Issue.record("logs failed: \(small)"); return }
        #expect(bounded.truncated)
        #expect(bounded.lines.reduce(0) { $0 + $1.utf8.count + 1 } <= 300)

        // Malformed JSON: an error response, and the next request is served.
        let garbage = try client.sendRaw("{\"v\":1,\"id\":")
        #expect(garbage.failure?.code == .malformed)
        #expect(try client.status().services.count == 3)

        let stopAll = try client.send(.stop(ControlRequest(services: ["job-manage", "job-config"], stopTimeoutSeconds: 10)))
        #expect(stopAll.failure == nil)
    }

    @Test("a crash-looping service ends failed with its last log lines; an explicit start clears it")
    func crashLoop() throws {
        try Prerequisites.require()
        let host = try AgentTestHost(name: "crashloop", address: "127.0.4.22")
        defer { host.cleanup() }
        try host.install(["job-config"])
        let client = try host.client()
        defer { client.close() }
        try activate(client, host, ["job-config"])
        let policy = RestartPolicy(initialBackoffSeconds: 0.5, maxBackoffSeconds: 4, maxFailures: 3, windowSeconds: 120)
        let spec = host.spec("job-config", env: ["STANDIN_EXIT_AT_ONCE": "true"], restart: policy)
        #expect(try client.send(.apply(ApplyRequest(services: [spec]))).failure == nil)
        let failed = try client.waitFor("job-config failed", timeout: 90) { status in
            status.services.first?.state == .failed
        }.services[0]
        #expect(failed.restarts == 2)
        #expect(failed.lastExit?.code == 1)
        #expect(failed.failedReason?.contains("3 unexpected exits") == true)
        let tail = (failed.logTail ?? []) + (failed.consoleTail ?? [])
        #expect(!tail.isEmpty, "failed status carries the last log lines")
        #expect(tail.contains { $0.contains("ERROR") }, "\(tail)")
        #expect(host.processes(matching: "job-config.jar").isEmpty)

        let started = try client.send(.start(ControlRequest(services: ["job-config"])))
        guard case .start(let result) = started.body else { Issue.record("start failed: \(started)"); return }
        #expect(result.services[0].state != .failed)
        #expect(result.services[0].failedReason == nil)
        _ = try client.send(.stop(ControlRequest(services: ["job-config"], stopTimeoutSeconds: 5)))
    }

    @Test("kill -9 of the agent: services keep their pids and a new agent re-adopts them; after a simulated reboot it starts them")
    func agentRestart() throws {
        try Prerequisites.require()
        let host = try AgentTestHost(name: "adopt", address: "127.0.4.23")
        defer { host.cleanup() }
        try host.install(["job-config"])
        var client = try host.client()
        try activate(client, host, ["job-config"])
        #expect(try client.send(.apply(ApplyRequest(services: [host.spec("job-config")]))).failure == nil)
        let before = try client.waitFor("job-config healthy", allHealthy(["job-config"])).services[0]
        client.close()

        let agent = try #require(host.agentPid)
        kill(agent, SIGKILL)
        try Poll.until("the killed agent to end", within: .seconds(30)) { ProcessScan.hasEnded(agent) }
        #expect(kill(before.pid!, 0) == 0, "the service outlives its agent")

        client = try host.client()
        let adopted = try client.waitFor("job-config adopted and healthy", allHealthy(["job-config"])).services[0]
        #expect(host.agentPid != agent, "a new agent answers")
        #expect(adopted.pid == before.pid)
        #expect(adopted.startedAt == before.startedAt)
        #expect(adopted.adopted)
        #expect(adopted.restarts == 0)
        #expect(adopted.release == before.release)
        #expect(host.processes(matching: "job-config.jar") == [before.pid!], "no second start, no orphan")

        // Simulated reboot: agent and service both gone; the next agent starts what should run.
        client.close()
        let second = try #require(host.agentPid)
        kill(second, SIGKILL)
        kill(before.pid!, SIGKILL)
        // Both gone before the next agent looks, or it could adopt a service that is still dying.
        try Poll.until("the agent and job-config to end", within: .seconds(30)) {
            ProcessScan.hasEnded(second) && ProcessScan.hasEnded(before.pid!)
        }
        client = try host.client()
        defer { client.close() }
        let restarted = try client.waitFor("job-config started again", allHealthy(["job-config"])).services[0]
        #expect(restarted.pid != before.pid)
        #expect(restarted.lastExit?.statusKnown == false, "an adopted process's exit status is not ours to read")
        #expect(host.processes(matching: "job-config.jar").count == 1)
        _ = try client.send(.stop(ControlRequest(services: ["job-config"], stopTimeoutSeconds: 5)))
    }

    @Test("activate switches the jar link atomically, keeps the previous release and prunes old ones")
    func activateRelease() throws {
        try Prerequisites.require()
        let host = try AgentTestHost(name: "activate", address: "127.0.4.24")
        defer { host.cleanup() }
        let fm = FileManager.default
        let backend = "\(host.home)/job/backend/job-manage"
        for (i, id) in ["aaaa000000000001", "aaaa000000000002", "aaaa000000000003", "aaaa000000000004"].enumerated() {
            try fm.createDirectory(atPath: "\(backend)/releases/\(id)", withIntermediateDirectories: true)
            try Data(id.utf8).write(to: URL(fileURLWithPath: "\(backend)/releases/\(id)/job-manage.jar"))
            try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: Double(i * 10 - 100))], ofItemAtPath: "\(backend)/releases/\(id)")
        }
        let client = try host.client()
        defer { client.close() }
        // A reader that opens the jar through the link the whole time never finds it missing.
        let link = "\(backend)/job-manage.jar"
        #expect(try client.send(.activate(ActivateRequest(service: "job-manage", release: "aaaa000000000001", keep: 4))).failure == nil)
        let misses = ManagedAtomicCounter()
        let reading = ManagedAtomicCounter()
        let reader = Thread {
            while reading.value == 0 {
                if (try? Data(contentsOf: URL(fileURLWithPath: link))) == nil { misses.increment() }
            }
            reading.increment()
        }
        reader.start()
        for i in 0..<100 {
            let id = i % 2 == 0 ? "aaaa000000000002" : "aaaa000000000001"
            let response = try client.send(.activate(ActivateRequest(service: "job-manage", release: id, keep: 4)))
            #expect(response.failure == nil)
        }
        reading.increment()
        while reading.value < 2 { usleep(10_000) }
        #expect(misses.value == 0, "the link was never missing")

        let response = try client.send(.activate(ActivateRequest(service: "job-manage", release: "aaaa000000000004", keep: 2)))
        guard case .activate(let result) = response.body else { Issue.record("activate failed: \(response)"); return }
        #expect(result.previous == "aaaa000000000001")
        #expect(result.removed == ["aaaa000000000002", "aaaa000000000003"])
        #expect(try fm.destinationOfSymbolicLink(atPath: link) == "releases/aaaa000000000004/job-manage.jar")
        #expect(fm.fileExists(atPath: "\(backend)/releases/aaaa000000000001/job-manage.jar"), "previous kept for rollback")
        let missing = try client.send(.activate(ActivateRequest(service: "job-manage", release: "ffff000000000000")))
        #expect(missing.failure?.code == .notFound)
        let unsafe = try client.send(.activate(ActivateRequest(service: "job-manage", release: "../../x")))
        #expect(unsafe.failure?.code == .invalidName)
    }
}

/// A counter shared with a reader thread.
final class ManagedAtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
