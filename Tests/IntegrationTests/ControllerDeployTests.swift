import Foundation
import Testing
import TestSupport

/// The controller on a real sandbox fleet: real sshd hosts, the real agent, real stand-in JVMs.
@Suite("Controller deploys on the sandbox", .serialized, .enabled(if: Prerequisites.runIntegration),
       .sandbox("controller", network: "127.0.2", hosts: 4))
struct ControllerDeployTests {
    let fleet: ControllerFleet

    init() throws {
        fleet = try ControllerFleet(attach: "controller", network: "127.0.2")
    }

    @Test("a full deploy leaves every instance healthy, with job-config healthy before any dependent started")
    func fullDeploy() throws {
        let manifest = try fleet.ensureBaseline()
        let rows = try fleet.status(manifest)
        #expect(rows.count == 14)
        for (instance, row) in rows {
            #expect(row["state"] as? String == "running", "\(instance): \(row)")
            #expect(row["health"] as? String == "healthy", "\(instance): \(row)")
            #expect(row["release"] as? String == row["target_release"] as? String, "\(instance)")
        }
        // Milliseconds, so that a start in the same second as job-config's health keeps its order
        // (times cut to whole seconds would all end in .000Z).
        for key in ["started_at", "healthy_since"] {
            let times = rows.values.compactMap { $0[key] as? String }
            #expect(times.count == rows.count && times.allSatisfy { $0.contains(/\.\d{3}Z$/) }, "\(key): \(times)")
            #expect(times.contains { !$0.hasSuffix(".000Z") }, "\(key) in whole seconds only: \(times)")
        }
        let configHealthy = try #require(ControllerFleet.date(rows["job-config@h1"]?["healthy_since"]))
        for (instance, row) in rows where !instance.hasPrefix("job-config@") {
            let started = try #require(ControllerFleet.date(row["started_at"]), "\(instance) has no started_at")
            #expect(started >= configHealthy, "\(instance) started at \(started), before job-config was healthy at \(configHealthy)")
        }
        let status = try fleet.cli.run(["status", "-f", manifest])
        #expect(status.succeeded)
        #expect(status.stdout.contains("job-execute       3        3        3        3"), "\(status.stdout)")
    }

    @Test("deploying again with nothing changed uploads and restarts nothing, and plan reports no changes")
    func noop() throws {
        let manifest = try fleet.ensureBaseline()
        let before = try fleet.pids(manifest)
        let agentPid = "\(fleet.sandbox.hosts[0].bkHome)/.jobfleet/agent.pid"
        let agentBefore = try String(contentsOfFile: agentPid, encoding: .utf8)
        let plan = try fleet.cli.run(["plan", "-f", manifest])
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("No changes"))
        let again = try fleet.deploy(manifest)
        #expect(again.succeeded)
        #expect(!again.stdout.contains("upload "))
        #expect(!again.stderr.contains("started"))
        #expect(try fleet.pids(manifest) == before)
        // The agent's hello matched our build: it was neither reinstalled nor restarted.
        #expect(try String(contentsOfFile: agentPid, encoding: .utf8) == agentBefore)
    }

    @Test("--order runbook starts each service only once the previous one is healthy on every host")
    func runbookOrder() throws {
        let manifest = try fleet.ensureBaseline()
        let runbook = ControllerFleet.baseline.map(\.0)
        for service in runbook.dropFirst() {
            let stop = try fleet.cli.run(["stop", "-f", manifest, service])
            #expect(stop.succeeded, "\(stop.stderr)")
        }
        let deploy = try fleet.deploy(manifest, ["--order", "runbook"])
        #expect(deploy.succeeded, "\(deploy.stdout)\(deploy.stderr)")
        let rows = try fleet.status(manifest)
        for (earlier, later) in zip(runbook.dropFirst(), runbook.dropFirst(2)) {
            let ready = rows.filter { $0.key.hasPrefix("\(earlier)@") }.compactMap { ControllerFleet.date($0.value["healthy_since"]) }
            let starts = rows.filter { $0.key.hasPrefix("\(later)@") }.compactMap { ControllerFleet.date($0.value["started_at"]) }
            #expect(!ready.isEmpty && !starts.isEmpty)
            #expect(ready.max()! <= starts.min()!, "\(later) started before \(earlier) was healthy everywhere")
        }
    }

    @Test("adding job-execute on a fourth host plans and starts exactly that, and no other pid changes")
    func scaleOut() throws {
        let manifest = try fleet.ensureBaseline()
        let before = try fleet.pids(manifest)
        var placement = ControllerFleet.baseline
        placement[6] = ("job-execute", ["h1", "h2", "h3", "h4"])
        let scaled = try fleet.manifest(placement, name: "fleet-scaled.yaml")
        let plan = try fleet.cli.run(["plan", "-f", scaled])
        #expect(plan.status == 3, "plan exits 3 when something would change: \(plan.stderr)")
        let changed = plan.stdout.split(separator: "\n").filter { $0.hasPrefix("  start") || $0.hasPrefix("  restart") || $0.hasPrefix("  stop") }
        #expect(changed.count == 1 && changed[0].contains("job-execute"), "\(plan.stdout)")
        #expect(plan.stdout.contains("1 upload(s)"), "\(plan.stdout)")
        let deploy = try fleet.deploy(scaled)
        #expect(deploy.succeeded, "\(deploy.stdout)\(deploy.stderr)")
        let after = try fleet.pids(scaled)
        #expect(after["job-execute@h4"] != nil)
        for (instance, pid) in before { #expect(after[instance] == pid, "\(instance) was restarted") }
        _ = try fleet.deploy(manifest)  // back to the baseline: h4's instance is stopped
        #expect(try fleet.status(manifest)["job-execute@h4"]?["state"] as? String ?? "stopped" == "stopped")
    }

    @Test("an upgrade that never becomes healthy stops after the first instance, reverts it, and shows its log")
    func failedUpgrade() throws {
        let manifest = try fleet.ensureBaseline()
        let before = try fleet.pids(manifest)
        let oldRelease = try #require(try fleet.status(manifest)["job-manage@h1"]?["release"] as? String)
        let broken = "\(fleet.sandbox.dir)/release-broken"
        try? FileManager.default.removeItem(atPath: broken)
        try Command.run("cp", ["-a", fleet.sandbox.releaseDir, broken])
        let build = try Command.run("/bin/bash", ["\(Sandbox.repoRoot)/deploy/standin/build", "--out", broken, "--only", "job-manage",
                                                  "--release-version", "9.9.9-broken", "--knob", "never-healthy=true"])
        #expect(build.succeeded, "\(build.stderr)")
        let upgrade = try fleet.manifest(release: broken, name: "fleet-broken.yaml")
        let deploy = try fleet.deploy(upgrade, ["--health-timeout", "15s"])
        #expect(deploy.status == 1)
        #expect(deploy.stdout.contains("Deploy FAILED"), "\(deploy.stdout)")
        #expect(deploy.stdout.contains("job-manage@h1: not healthy within 15s"), "\(deploy.stdout)")
        #expect(deploy.stdout.contains("last lines of"), "the report holds the instance's log lines")
        #expect(deploy.stdout.contains("JobManageApplication"), "\(deploy.stdout)")
        #expect(deploy.stderr.contains("job-manage@h1: reverted to release \(oldRelease), healthy again"), "\(deploy.stderr)")
        let rows = try fleet.status(manifest)
        #expect(rows["job-manage@h2"]?["pid"] as? Int == before["job-manage@h2"], "the second instance was never stopped")
        #expect(rows["job-manage@h1"]?["release"] as? String == oldRelease)
        #expect(rows["job-manage@h1"]?["health"] as? String == "healthy")
    }

    @Test("a controller killed while its deploy waits on a starting instance is followed by a deploy that converges the whole fleet")
    func killedController() async throws {
        let manifest = try fleet.ensureBaseline()
        for service in ["job-execute", "job-manage", "job-analysis"] {
            #expect(try fleet.cli.run(["stop", "-f", manifest, service]).succeeded)
        }
        // job-manage@h1 stays starting (health DOWN) for as long as this file exists, so the
        // deploy cannot finish before it is killed.
        let h1 = fleet.sandbox.hosts[0]
        let hold = fleet.holdFile("job-manage", on: h1)
        try #require(FileManager.default.createFile(atPath: hold, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: hold) }
        let serviceLog = fleet.serviceLog("job-manage", on: h1)
        let logFrom = ControllerFleet.size(serviceLog)
        let lastEntry = try fleet.history(manifest).compactMap { $0["id"] as? Int }.max() ?? 0

        let log = "\(fleet.sandbox.dir)/killed-deploy.log"
        let process = try fleet.cli.start(["deploy", "-f", manifest, "--yes"], output: log)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // Held: the deploy has started job-manage@h1 and waits for it, and the instance says it
        // is holding its start-up.
        try await Poll.until("the deploy to wait on job-manage@h1 held in its start-up", within: .seconds(150)) {
            let text = ControllerFleet.text(log)
            guard process.isRunning else {
                throw SandboxError(message: "the deploy ended before job-manage@h1 was held:\n\(text)")
            }
            return text.contains("job-manage@h1: started")
                && ControllerFleet.text(serviceLog, from: logFrom).contains("Start-up held while \(hold) exists")
        }
        let held = try #require(try fleet.status(manifest)["job-manage@h1"])
        #expect(held["state"] as? String == "running", "\(held)")
        #expect(held["health"] as? String != "healthy", "\(held)")
        #expect(process.isRunning, "the deploy finished while job-manage@h1 was held")

        kill(process.processIdentifier, SIGKILL)
        try await Poll.until("the killed deploy to exit", within: .seconds(30)) { !process.isRunning }
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
        let killed = ControllerFleet.text(log)
        #expect(!killed.contains("job-manage@h1: healthy") && !killed.contains("Deploy succeeded"), "\(killed)")

        try FileManager.default.removeItem(atPath: hold)
        let again = try fleet.deploy(manifest)
        #expect(again.succeeded, "\(again.stdout)\(again.stderr)")
        for (instance, row) in try fleet.status(manifest) {
            #expect(row["state"] as? String == "running", "\(instance): \(row)")
            #expect(row["health"] as? String == "healthy", "\(instance): \(row)")
        }
        #expect(ControllerFleet.text(serviceLog, from: logFrom).contains("Start-up hold released"))

        // The killed deploy's entry is interrupted (closed by the next one), with job-manage@h1
        // started and never healthy; the next deploy finished the work.
        let entries = try fleet.history(manifest).filter { ($0["id"] as? Int ?? 0) > lastEntry }
            .sorted { ($0["id"] as? Int ?? 0) < ($1["id"] as? Int ?? 0) }
        #expect(entries.map { $0["command"] as? String } == ["deploy", "deploy"], "\(entries)")
        let interrupted = try #require(entries.first)
        #expect(interrupted["result"] as? String == "interrupted", "\(interrupted)")
        #expect(["succeeded", "no-op"].contains(entries.last?["result"] as? String ?? ""), "\(entries)")
        let steps = try fleet.history(manifest, entry: try #require(interrupted["id"] as? Int)).compactMap { $0["message"] as? String }
        #expect(steps.contains("job-manage@h1: started"), "\(steps)")
        #expect(!steps.contains { $0.hasPrefix("job-manage@h1: healthy") }, "\(steps)")
    }

    @Test("after a simulated reboot, deploy replaces nothing and ends with every instance healthy")
    func reboot() async throws {
        let manifest = try fleet.ensureBaseline()
        // Every process the hosts run but their sshd and Consul agent (the platform brings both
        // back after a reboot): agents and services, as a reboot leaves them.
        let victims = ProcessScan.startedBySandbox(fleet.sandbox.dir).filter {
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\($0.pid)/exe")) ?? ""
            let name = (exe as NSString).lastPathComponent
            return !name.hasPrefix("sshd") && !name.hasPrefix("consul")
        }
        #expect(victims.count > 14, "\(victims)")
        for victim in victims { kill(victim.pid, SIGKILL) }
        // Gone, or a zombie: `kill(pid, 0)` succeeds on one whose parent died with it.
        try await Poll.until("every killed process to end", within: .seconds(30)) {
            victims.allSatisfy { ProcessScan.hasEnded($0.pid) }
        }
        // The deploy's own rpc starts the agents again, which relaunch what should run. An
        // instance the agent has relaunched is waited for ("wait"); one still in its restart
        // backoff is started in wave order ("start"); none is replaced.
        let again = try fleet.deploy(manifest)
        #expect(again.succeeded, "\(again.stdout)\(again.stderr)")
        let planned = again.stdout.split(separator: "\n").filter { $0.hasPrefix("  start ") || $0.hasPrefix("  wait ") }
        #expect(planned.count == 14, "\(again.stdout)")
        #expect(!again.stderr.contains(": restarted"), "\(again.stderr)")
        for (instance, row) in try fleet.status(manifest) {
            #expect(row["health"] as? String == "healthy", "\(instance): \(row)")
        }
    }

    @Test("status --json shows a service killed out of band, which its agent saw end within one health interval")
    func killedService() async throws {
        let manifest = try fleet.ensureBaseline()
        let row = try #require(try fleet.status(manifest)["job-analysis@h1"])
        let pid = try #require(row["pid"] as? Int)
        let restarts = row["restarts"] as? Int ?? 0
        let killedAt = Date()
        kill(Int32(pid), SIGKILL)
        // Every status call is an ssh session of its own, whose time is not the agent's: poll with
        // a bound for failure only, then read when the agent recorded the exit.
        try await Poll.until("status to show job-analysis@h1 (pid \(pid)) killed", within: .seconds(60)) {
            let now = try fleet.status(manifest)["job-analysis@h1"]
            return (now?["pid"] as? Int) != pid || (now?["restarts"] as? Int ?? 0) > restarts
                || (now?["state"] as? String) != "running"
        }
        let status = try fleet.agentStatus(on: fleet.sandbox.hosts[0], services: ["job-analysis"])
        let exit = try #require(status.services.first { $0.name == "job-analysis" }?.lastExit)
        // An instance adopted from an earlier agent ends with its status unknown to this one.
        #expect(!exit.requested && (exit.signal == SIGKILL || !exit.statusKnown), "\(exit)")
        // Protocol times carry milliseconds: `at` is never before the kill.
        let seen = exit.at.timeIntervalSince(killedAt)
        #expect(seen > -0.05 && seen < 5, "the agent recorded the exit \(seen) s after the kill")
    }

    @Test("a lease held by another operator stops a deploy with a message naming the holder")
    func leaseConflict() throws {
        let manifest = try fleet.ensureBaseline()
        let h1 = fleet.sandbox.hosts[0]
        let agent = "\(h1.bkHome)/.jobfleet/bin/jobfleet-agent rpc --home \(h1.bkHome)"
        let take = try fleet.sandbox.ssh(h1, agent, input: """
            {"v":1,"id":"1","method":"lease","params":{"action":"acquire","owner":"alice@bastion-2 manual","ttlSeconds":60}}

            """)
        #expect(take.stdout.contains("\"token\""), "\(take.stdout)\(take.stderr)")
        let deploy = try fleet.deploy(manifest)
        #expect(deploy.status == 4)
        #expect(deploy.stderr.contains("alice@bastion-2 manual"), "\(deploy.stderr)")
        _ = try fleet.sandbox.ssh(h1, agent, input: """
            {"v":1,"id":"2","method":"lease","params":{"action":"release","owner":"alice@bastion-2 manual"}}

            """)
        #expect(try fleet.deploy(manifest).succeeded)
    }

    @Test("logs shows each host's own log lines for a service, filtered by --grep")
    func logs() throws {
        let manifest = try fleet.ensureBaseline()
        let result = try fleet.cli.run(["logs", "-f", manifest, "job-manage", "-n", "50", "--grep", "Started"])
        #expect(result.succeeded, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("[h1] ") && $0.contains("Started JobManageApplication") }, "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("[h2] ") && $0.contains("Started JobManageApplication") }, "\(result.stdout)")
        #expect(lines.allSatisfy { $0.contains("Started") })
    }

    @Test("restart --rolling restarts one instance at a time, each healthy before the next is touched")
    func rollingRestart() throws {
        let manifest = try fleet.ensureBaseline()
        let before = try fleet.pids(manifest)
        let restart = try fleet.cli.run(["restart", "-f", manifest, "job-execute", "--rolling"])
        #expect(restart.succeeded, "\(restart.stdout)\(restart.stderr)")
        #expect(restart.stdout.contains("Restart succeeded: 3 restarted"), "\(restart.stdout)")
        let lines = restart.stderr.split(separator: "\n").map(String.init)
        let done = lines.indices.filter { lines[$0].contains(": restart done") }
        let healthy = lines.indices.filter { lines[$0].contains(": healthy after") }
        #expect(done.count == 3 && healthy.count == 3, "\(restart.stderr)")
        for (next, previousHealthy) in zip(done.dropFirst(), healthy) {
            #expect(previousHealthy < next, "an instance was restarted before the previous one was healthy:\n\(restart.stderr)")
        }
        let after = try fleet.pids(manifest)
        for (instance, pid) in before {
            if instance.hasPrefix("job-execute@") { #expect(after[instance] != pid, "\(instance) was not restarted") }
            else { #expect(after[instance] == pid, "\(instance) was restarted") }
        }
    }

    @Test("rollback puts a service back on the release it ran before, instance by instance")
    func rollback() throws {
        let manifest = try fleet.ensureBaseline()
        let old = try #require(try fleet.status(manifest)["job-manage@h1"]?["release"] as? String)
        let next = "\(fleet.sandbox.dir)/release-next"
        try? FileManager.default.removeItem(atPath: next)
        try Command.run("cp", ["-a", fleet.sandbox.releaseDir, next])
        let build = try Command.run("/bin/bash", ["\(Sandbox.repoRoot)/deploy/standin/build", "--out", next,
                                                  "--only", "job-manage", "--release-version", "3.9.1-standin"])
        #expect(build.succeeded, "\(build.stderr)")
        let upgrade = try fleet.manifest(release: next, name: "fleet-next.yaml")
        let deploy = try fleet.deploy(upgrade)
        #expect(deploy.succeeded, "\(deploy.stdout)\(deploy.stderr)")
        let upgraded = try fleet.status(upgrade)
        let new = try #require(upgraded["job-manage@h1"]?["release"] as? String)
        #expect(new != old)
        let rollback = try fleet.cli.run(["rollback", "-f", upgrade, "job-manage", "--yes"])
        #expect(rollback.succeeded, "\(rollback.stdout)\(rollback.stderr)")
        let after = try fleet.status(upgrade)
        for host in ["h1", "h2"] {
            #expect(after["job-manage@\(host)"]?["release"] as? String == old, "job-manage@\(host)")
            #expect(after["job-manage@\(host)"]?["health"] as? String == "healthy")
        }
        #expect(after["job-execute@h1"]?["pid"] as? Int == upgraded["job-execute@h1"]?["pid"] as? Int)
        let history = try fleet.cli.run(["history", "-f", upgrade])
        #expect(history.stdout.contains("rollback"), "\(history.stdout)")
    }

    @Test("doctor checks ssh, agent, java, disk, ports and clock on every host")
    func doctor() throws {
        let manifest = try fleet.ensureBaseline()
        let result = try fleet.cli.run(["doctor", "-f", manifest])
        #expect(result.succeeded, "\(result.stdout)\(result.stderr)")
        for host in ["h1", "h2", "h3", "h4"] {
            for check in ["ssh", "agent", "java", "disk", "ports", "clock"] {
                #expect(result.stdout.split(separator: "\n").contains { $0.hasPrefix(host) && $0.contains(" \(check) ") },
                        "\(host) \(check) missing:\n\(result.stdout)")
            }
        }
    }

    @Test("an agent of another build is replaced and restarted without stopping any service")
    func agentUpgrade() throws {
        let manifest = try fleet.ensureBaseline()
        let before = try fleet.pids(manifest)
        let h1 = fleet.sandbox.hosts[0]
        let agentPidBefore = try String(contentsOfFile: "\(h1.bkHome)/.jobfleet/agent.pid", encoding: .utf8)
        let rebuilt = "\(fleet.sandbox.dir)/jobfleet-agent-rebuilt"
        let shipped = "\(h1.bkHome)/.jobfleet/bin/jobfleet-agent"
        try? FileManager.default.removeItem(atPath: rebuilt)
        try FileManager.default.copyItem(atPath: shipped, toPath: rebuilt)
        // Another build: the same program with different bytes (a trailing padding byte).
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: rebuilt))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        var cli = fleet.cli
        cli.environment["JOBFLEET_AGENT_BINARY"] = rebuilt
        let status = try cli.run(["status", "-f", manifest])
        #expect(status.succeeded, "\(status.stdout)\(status.stderr)")
        #expect(FileManager.default.contentsEqual(atPath: rebuilt, andPath: shipped))
        let agentPidAfter = try String(contentsOfFile: "\(h1.bkHome)/.jobfleet/agent.pid", encoding: .utf8)
        #expect(agentPidAfter != agentPidBefore, "the agent daemon was restarted on the new build")
        #expect(try fleet.pids(manifest) == before, "services kept running through the agent's upgrade")
    }
}
