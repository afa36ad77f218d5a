import Foundation
import Testing
import TestSupport

/// Exit statuses as the README's table gives them, and faults on one host that must not take
/// the rest of the fleet down with them.
extension ControllerDeployTests {
    /// The baseline manifest plus a host `h9` where nothing listens, running job-execute too.
    func manifestWithDeadHost() throws -> String {
        var placement = ControllerFleet.baseline
        placement = placement.map { $0.0 == "job-execute" ? ($0.0, $0.1 + ["h9"]) : $0 }
        return try fleet.manifest(placement, name: "fleet-dead-host.yaml",
                                  extraHosts: "  - { name: h9, address: 127.0.2.98, port: 9, bk_home: /nonexistent }\n")
    }

    /// The baseline manifest with short connect and agent timeouts, so a hung host costs seconds.
    func manifestWithShortTimeouts() throws -> String {
        let path = try fleet.manifest(name: "fleet-short-timeouts.yaml")
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "  connect_timeout: 10s\n", with: "  connect_timeout: 3s\n  agent_timeout: 3s\n")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The pid in a pid file, or nil.
    func pid(in file: String) -> Int32? {
        (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    @Test("a host that cannot be reached: plan says it is not reached, plans nothing for it and exits 2; status and deploy exit 2 and deploy changes nothing")
    func unreachableHost() throws {
        let baseline = try fleet.ensureBaseline()
        let before = try fleet.pids(baseline)
        let manifest = try manifestWithDeadHost()

        let plan = try fleet.cli.run(["plan", "-f", manifest])
        #expect(plan.status == 2, "\(plan.stdout)\(plan.stderr)")
        let h9 = try #require(plan.stdout.range(of: "h9 (127.0.2.98:9)"), "\(plan.stdout)")
        let block = String(plan.stdout[h9.upperBound...]).components(separatedBy: "\n\n").first ?? ""
        #expect(block.contains("not reached"), "\(block)")
        #expect(!block.contains("start ") && !block.contains("upload "), "plans nothing for h9: \(block)")
        #expect(!plan.stdout.contains("leaves them out"))
        #expect(plan.stdout.contains("1 host(s) not reached (h9)"), "\(plan.stdout)")

        let status = try fleet.cli.run(["status", "-f", manifest])
        #expect(status.status == 2, "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("job-execute@h1") || status.stdout.contains("job-config"), "the other hosts are shown: \(status.stdout)")

        let deploy = try fleet.deploy(manifest)
        #expect(deploy.status == 2, "\(deploy.stdout)\(deploy.stderr)")
        #expect(deploy.stderr.contains("not reached: h9") && deploy.stderr.contains("nothing was changed"), "\(deploy.stderr)")
        #expect(try fleet.pids(baseline) == before, "nothing was restarted")
    }

    @Test("a stopped agent: status answers for the other hosts within the agent timeout and shows h2's agent as not answering; plan and deploy fail on it and exit 2")
    func stuckAgent() throws {
        _ = try fleet.ensureBaseline()
        let manifest = try manifestWithShortTimeouts()
        let h2 = fleet.sandbox.hosts[1]
        let agent = try #require(pid(in: "\(h2.bkHome)/.jobfleet/agent.pid"))
        kill(agent, SIGSTOP)
        defer { kill(agent, SIGCONT) }

        let started = ContinuousClock.now
        let status = try fleet.cli.run(["status", "-f", manifest, "--json"])
        let took = ContinuousClock.now - started
        #expect(status.status == 2, "\(status.stdout)\(status.stderr)")
        #expect(took < .seconds(30), "status took \(took)")
        let rows = status.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(rows.contains { $0["host"] as? String == "h1" && $0["health"] as? String == "healthy" }, "\(status.stdout)")
        let h2Rows = rows.filter { $0["host"] as? String == "h2" }
        #expect(!h2Rows.isEmpty && h2Rows.allSatisfy { ($0["error"] as? String)?.contains("did not answer") == true },
                "\(h2Rows)")

        for command in ["plan", "deploy"] {
            let result = try fleet.cli.run([command, "-f", manifest] + (command == "deploy" ? ["--yes"] : []))
            #expect(result.status == 2, "\(command): \(result.stdout)\(result.stderr)")
            #expect((result.stdout + result.stderr).contains("the agent did not answer"), "\(command): \(result.stderr)")
        }
    }

    @Test("a hung sshd: status answers for the other hosts after the connect timeout and exits 2")
    func hungSSHD() throws {
        _ = try fleet.ensureBaseline()
        let manifest = try manifestWithShortTimeouts()
        let sshd = try #require(pid(in: "\(fleet.sandbox.dir)/hosts/h3/sshd.pid"))
        kill(sshd, SIGSTOP)
        defer { kill(sshd, SIGCONT) }
        let started = ContinuousClock.now
        let status = try fleet.cli.run(["status", "-f", manifest])
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(status.status == 2, "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("job-config") && status.stdout.contains("h3"), "\(status.stdout)")
    }

    @Test("an emptied placement is refused without --allow-stop-all, and the plan says so in its first lines")
    func emptyPlacement() throws {
        let baseline = try fleet.ensureBaseline()
        let before = try fleet.pids(baseline)
        let manifest = try fleet.manifest([], name: "fleet-empty.yaml")
        let text = try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(of: "services:\n", with: "services: {}\n")
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)

        let plan = try fleet.cli.run(["plan", "-f", manifest])
        #expect(plan.status == 3, "\(plan.stdout)\(plan.stderr)")
        let top = plan.stdout.split(separator: "\n").prefix(2).joined(separator: "\n")
        #expect(top.contains("stops every running instance of the fleet (14)") && top.contains("--allow-stop-all"), "\(top)")
        let deploy = try fleet.deploy(manifest)
        #expect(deploy.status == 64, "\(deploy.stdout)\(deploy.stderr)")
        #expect(deploy.stderr.contains("--allow-stop-all"), "\(deploy.stderr)")
        #expect(try fleet.pids(baseline) == before, "nothing was stopped")
    }

    @Test("a host whose disk cannot take the upload fails the plan and the deploy before anything is uploaded, naming where, what is free and what is needed")
    func fullDisk() throws {
        let manifest = try fleet.ensureBaseline()
        let before = try fleet.pids(manifest)
        let h3 = fleet.sandbox.hosts[2]
        // A 16 KiB file system over job-execute's releases on h3: its release is no longer
        // there, so the plan uploads the 47 KiB jar again, and it cannot fit.
        let releases = "\(h3.bkHome)/job/backend/job-execute/releases"
        let mount = try Command.run("/bin/mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", releases])
        try #require(mount.succeeded, "mounting a small tmpfs needs root: \(mount.stderr)")
        defer { _ = try? Command.run("/bin/umount", [releases]) }

        let plan = try fleet.cli.run(["plan", "-f", manifest])
        #expect(plan.status == 1, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stderr.contains("h3 (\(h3.address):\(h3.port)): no space for the new release under \(releases) "
                                     + "(file system \(releases)): 16.0 KiB free, the upload needs"), "\(plan.stderr)")
        let deploy = try fleet.deploy(manifest)
        #expect(deploy.status == 1, "\(deploy.stdout)\(deploy.stderr)")
        #expect(deploy.stderr.contains("no space for the new release") && deploy.stderr.contains("nothing was uploaded"),
                "\(deploy.stderr)")
        #expect(!deploy.stderr.contains("uploading"), "\(deploy.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: releases).isEmpty)
        #expect(try fleet.pids(manifest) == before)
    }
}
