import Foundation
import Shared
import Testing
import TestSupport

/// Start gates held by the agents themselves: a fleet that loses power and boots with no
/// controller anywhere comes back in order, and a start while job-config is down waits for it.
/// Loopback addresses 127.0.16.x.
@Suite("Start gates on a rebooted fleet", .serialized, .sandbox("reboot", network: "127.0.16", hosts: 3))
struct FleetRebootTests {
    let fleet: ControllerFleet

    init() throws {
        fleet = try ControllerFleet(attach: "reboot", network: "127.0.16")
    }

    /// Every host's agent status, asked over SSH through `jobfleet-agent rpc` (no controller).
    func agentStatuses() throws -> [String: [String: ServiceStatus]] {
        var result: [String: [String: ServiceStatus]] = [:]
        for host in fleet.sandbox.hosts {
            let status = try fleet.agentStatus(on: host)
            result[host.name] = Dictionary(status.services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        }
        return result
    }

    /// The sandbox's release with consumers that try job-config once and exit when it does
    /// not answer (a Spring client without retry), built once: a consumer started before
    /// job-config would crash and be restarted, so a start out of order cannot go unseen.
    func manifest() throws -> String {
        let dir = "\(fleet.sandbox.dir)/release-no-retry"
        if !FileManager.default.fileExists(atPath: "\(dir)/VERSION") {
            let built = try Command.run("/bin/bash", ["\(Sandbox.repoRoot)/deploy/standin/build", "--out", dir,
                                                      "--knob", "config-attempts=1", "--quiet"])
            guard built.succeeded else { throw SandboxError(message: "building the stand-ins failed: \(built.stderr)") }
        }
        return try fleet.manifest(release: dir, name: "fleet-no-retry.yaml")
    }

    @Test("after a fleet-wide power cut the agents boot the fleet back: job-config first, no dependent restarted")
    func rebootConverges() async throws {
        let manifest = try manifest()
        let deployed = try fleet.deploy(manifest)
        #expect(deployed.succeeded, "deploy failed:\n\(deployed.stdout)\n\(deployed.stderr)")
        let logSizes = Dictionary(uniqueKeysWithValues: fleet.sandbox.hosts.map {
            ($0.name, ControllerFleet.size("\($0.bkHome)/.jobfleet/agent.log")) })
        let before = try agentStatuses()

        // Power off: every process of every host ends (agents first, as a shutdown does) ...
        var sandbox = fleet.sandbox
        let down = try sandbox.down()
        #expect(down.succeeded, "\(down.stderr)")
        #expect(ProcessScan.startedBySandbox(sandbox.dir).isEmpty)
        // ... and on: the hosts boot and start their installed agents, as systemd would.
        let up = try sandbox.up(3)
        #expect(up.succeeded, "\(up.stderr)")
        let agents = ProcessScan.startedBySandbox(sandbox.dir).filter { $0.commandLine.contains("jobfleet-agent serve") }
        #expect(agents.count == 3, "booted agents: \(agents)")

        // No jobfleet from here on: the agents alone bring everything back.
        var after: [String: [String: ServiceStatus]] = [:]
        try await Poll.until("every service is healthy again", within: .seconds(240), every: .seconds(1)) {
            after = try agentStatuses()
            return after.values.allSatisfy { services in
                services.values.allSatisfy { $0.state == .running && $0.health.state == .healthy }
            }
        }
        let config = try #require(after["h1"]?["job-config"])
        let configStarted = try #require(config.startedAt)
        var held = 0
        for host in fleet.sandbox.hosts {
            let log = ControllerFleet.text("\(host.bkHome)/.jobfleet/agent.log", from: logSizes[host.name] ?? 0)
            for (name, status) in after[host.name] ?? [:] {
                let key = "\(name)@\(host.name)"
                #expect(status.restarts == before[host.name]?[name]?.restarts, "\(key) restarted after the boot")
                #expect(status.lastExit == before[host.name]?[name]?.lastExit, "\(key) exited after the boot: \(String(describing: status.lastExit))")
                guard name != "job-config" else { continue }
                let started = try #require(status.startedAt, "\(key)")
                #expect(started > configStarted, "\(key) started before job-config")
            }
            #expect(!log.contains("exited unexpectedly"), "\(host.name)'s agent saw a service crash after the boot:\n\(log)")
            held += log.components(separatedBy: "start held: waiting for job-config").count - 1
        }
        #expect(held > 0, "no start was held for job-config after the boot")

        // The controller finds the fleet as it left it: nothing to do.
        let plan = try fleet.cli.run(["plan", "-f", manifest])
        #expect(plan.status == 0, "plan after the boot:\n\(plan.stdout)\n\(plan.stderr)")
    }

    @Test("a start while job-config is down is held, shown as waiting for job-config, and goes ahead when it is back")
    func heldWhileConfigDown() async throws {
        let manifest = try manifest()
        let deployed = try fleet.deploy(manifest)
        #expect(deployed.succeeded, "deploy failed:\n\(deployed.stdout)\n\(deployed.stderr)")
        let stopped = try fleet.cli.run(["stop", "-f", manifest, "job-config"])
        #expect(stopped.succeeded, "\(stopped.stdout)\n\(stopped.stderr)")
        defer { _ = try? fleet.cli.run(["start", "-f", manifest, "job-config"]) }
        let restarted = try fleet.cli.run(["restart", "-f", manifest, "job-crontab"])
        #expect(restarted.succeeded, "\(restarted.stdout)\n\(restarted.stderr)")

        var text = ""
        try await Poll.until("job-crontab shows as held", within: .seconds(30), every: .milliseconds(500)) {
            text = try fleet.cli.run(["status", "-f", manifest]).stdout
            return text.contains("job-crontab@h1 waiting for job-config since")
        }
        let row = try #require(text.split(separator: "\n").first { $0.hasPrefix("job-crontab ") })
        #expect(row.contains("waiting for job-config"), "\(text)")
        let rows = try fleet.status(manifest)
        #expect(rows["job-crontab@h1"]?["state"] as? String == "waiting")
        #expect(rows["job-crontab@h1"]?["waiting_for"] as? [String] == ["job-config"])
        #expect(rows["job-crontab@h1"]?["pid"] is NSNull, "held, so no process")

        let started = try fleet.cli.run(["start", "-f", manifest, "job-config"])
        #expect(started.succeeded, "\(started.stdout)\n\(started.stderr)")
        try await Poll.until("job-crontab healthy once job-config is", within: .seconds(120), every: .seconds(1)) {
            let rows = try fleet.status(manifest)
            return rows["job-crontab@h1"]?["health"] as? String == "healthy"
        }
        let after = try fleet.status(manifest)
        #expect(after["job-crontab@h1"]?["restarts"] as? Int == 0, "\(String(describing: after["job-crontab@h1"]))")
    }
}
