import Foundation
import Shared
import Testing
import TestSupport

/// A fleet whose login user is an ordinary account: its sshd runs as that account on port 2222
/// (as `deploy/sandbox/sandbox` does for a non-root user), and the agent and the services run
/// as it too. When the tests run as root the account is `jobfleet-login`, made if missing.
@Suite("a fleet reached through a non-root login user", .serialized, .enabled(if: Prerequisites.runIntegration))
final class NonRootLoginTests {
    var sandbox = Sandbox.forSuite("non-root-login", network: "127.0.7")
    let small: SmallFleet
    var cli: JobFleetCLI { small.cli }
    var scratch: String { small.scratch }

    init() throws {
        try Prerequisites.require()
        if getuid() == 0 {
            sandbox.loginUser = "jobfleet-login"
            try sandbox.prepareLoginUser("jobfleet-login")
        }
        small = try SmallFleet(prefix: "jobfleet-nonroot")
        try sandbox.up(2)
    }

    deinit {
        _ = try? sandbox.down()
        small.remove()
    }

    /// The sandbox manifest with only job-config on h1 and job-manage on h2.
    func smallManifest() throws -> String {
        try small.manifest(of: sandbox)
    }

    /// The account owning process `pid`, as `ps` says.
    func owner(ofProcess pid: Int) throws -> String {
        try Command.run("ps", ["-o", "user:32=", "-p", String(pid)]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("exec, copy, deploy, status and stop work, and the agent and the services run as the login user")
    func wholeLifecycle() throws {
        #expect(sandbox.user != "root")
        let exec = try cli.run(["exec", "-f", sandbox.manifestPath, "--", "id", "-un"])
        #expect(exec.succeeded, "\(exec.stdout)\(exec.stderr)")
        #expect(exec.stdout.components(separatedBy: sandbox.user).count - 1 == 2, "\(exec.stdout)")

        let local = "\(scratch)/note.txt"
        try "hello\n".write(toFile: local, atomically: true, encoding: .utf8)
        let copy = try cli.run(["copy", "-f", sandbox.manifestPath, "--mode", "0640", local, "job/notes/"])
        #expect(copy.succeeded, "\(copy.stdout)\(copy.stderr)")
        for host in sandbox.hosts {
            let seen = try sandbox.ssh(host, "stat -c '%U %a' \(ShellQuote.word("\(host.bkHome)/job/notes/note.txt"))")
            #expect(seen.stdout == "\(sandbox.user) 640\n", "\(host.name): \(seen.stdout)\(seen.stderr)")
        }

        let manifest = try smallManifest()
        let deploy = try cli.run(["deploy", "-f", manifest, "--yes"])
        #expect(deploy.succeeded, "\(deploy.stdout)\(deploy.stderr)")
        let status = try cli.run(["status", "-f", manifest, "--json"])
        #expect(status.succeeded, "\(status.stdout)\(status.stderr)")
        let rows = try status.stdout.split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(rows.count == 2, "\(status.stdout)")
        for row in rows {
            #expect(row["health"] as? String == "healthy", "\(row)")
            let pid = try #require(row["pid"] as? Int, "\(row)")
            #expect(try owner(ofProcess: pid) == sandbox.user, "\(row)")
        }
        let agents = ProcessScan.startedBySandbox(sandbox.dir).filter { $0.commandLine.contains("jobfleet-agent serve") }
        #expect(agents.count == 2, "\(agents)")
        for agent in agents { #expect(try owner(ofProcess: Int(agent.pid)) == sandbox.user, "\(agent)") }

        let stop = try cli.run(["stop", "-f", manifest, "job-manage"])
        #expect(stop.succeeded, "\(stop.stdout)\(stop.stderr)")
        let after = try cli.run(["status", "-f", manifest, "--json"])
        #expect(after.stdout.split(separator: "\n").contains { $0.contains("\"job-manage\"") && $0.contains("\"state\":\"stopped\"") },
                "\(after.stdout)")
    }
}
