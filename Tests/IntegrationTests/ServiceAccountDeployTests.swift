import Foundation
import Shared
import Testing
import TestSupport

/// A deploy reached as root runs every JVM as the fleet's service account (`blueking`, which
/// the sandbox makes on this machine), with the open-files limit the manifest asks for, and
/// writes rendered configuration that only root and that account's group can read.
/// Loopback addresses 127.0.12.x.
@Suite("services run as the fleet's service account", .serialized,
       .enabled(if: Prerequisites.runIntegration && getuid() == 0))
final class ServiceAccountDeployTests {
    var sandbox = Sandbox.forSuite("service-account", network: "127.0.12")
    let small: SmallFleet
    var cli: JobFleetCLI { small.cli }

    init() throws {
        try Prerequisites.require()
        small = try SmallFleet(prefix: "jobfleet-runas")
        try sandbox.up(2)
    }

    deinit {
        _ = try? sandbox.down()
        small.remove()
    }

    /// The sandbox manifest with job-config on h1 and job-manage on h2, its `run_as` line
    /// replaced by `runAs` when given.
    func manifest(runAs: String? = nil, name: String = "small.yaml") throws -> String {
        try small.manifest(of: sandbox, runAs: runAs, name: name)
    }

    /// The open-files limit the sandbox's manifest gives services (204800 unless this machine
    /// cannot raise its hard limit that far).
    func expectedOpenFiles() throws -> String {
        let text = try String(contentsOfFile: sandbox.manifestPath, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("limits:") }) else { return "204800" }
        return String(line.split(separator: "nofile:")[1].prefix { $0 == " " || $0.isNumber }).trimmingCharacters(in: .whitespaces)
    }

    @Test("every java process runs as blueking with the open-files limit; rendered configuration is 0640 root:blueking")
    func deployAsServiceAccount() throws {
        let text = try String(contentsOfFile: sandbox.manifestPath, encoding: .utf8)
        #expect(text.contains("\nrun_as: blueking\n"), "the sandbox names its service account")
        let manifest = try manifest()
        let deploy = try cli.run(["deploy", "-f", manifest, "--yes"])
        #expect(deploy.succeeded, "\(deploy.stdout)\(deploy.stderr)")

        let status = try cli.run(["status", "-f", manifest, "--json"])
        let rows = try status.stdout.split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(rows.count == 2, "\(status.stdout)")
        let limit = try expectedOpenFiles()
        for row in rows {
            #expect(row["health"] as? String == "healthy", "\(row)")
            let pid = try #require(row["pid"] as? Int, "\(row)")
            let user = try Command.run("ps", ["-o", "user:32=", "-p", String(pid)]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(user == "blueking", "\(row)")
            let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
            let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            #expect(fields.count >= 5 && fields[3] == limit && fields[4] == limit, "\(line)")
        }
        // No JVM of this sandbox runs as anyone else.
        let javas = ProcessScan.startedBySandbox(sandbox.dir).filter { $0.commandLine.contains("java") && $0.commandLine.contains("-jar") }
        #expect(javas.count == 2, "\(javas)")
        for java in javas {
            let user = try Command.run("ps", ["-o", "user:32=", "-p", String(java.pid)]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(user == "blueking", "\(java)")
        }

        for host in sandbox.hosts {
            let files = try Command.run("find", ["\(host.bkHome)/etc", "-type", "f", "-printf", "%u:%g %m %p\n"])
            let lines = files.stdout.split(separator: "\n")
            #expect(!lines.isEmpty, "\(host.name) has rendered configuration")
            for line in lines { #expect(line.hasPrefix("root:blueking 640 "), "\(host.name): \(line)") }
            let service = host.name == "h1" ? "job-config" : "job-manage"
            let logs = try Command.run("stat", ["-c", "%U %a", "\(host.bkHome)/logs/job/\(service)"])
            #expect(logs.stdout == "blueking 755\n", "\(host.name): the service owns its log directory: \(logs.stdout)")
        }
    }

    @Test("plan and deploy refuse, naming host and account, when run_as names an account the hosts lack; nothing changes")
    func missingAccount() throws {
        let ghost = "jobfleet-ghost"
        #expect(try !Command.run("id", ["-u", ghost]).succeeded, "\(ghost) must not exist on this machine")
        let manifest = try manifest(runAs: ghost, name: "ghost.yaml")
        let plan = try cli.run(["plan", "-f", manifest])
        #expect(plan.status == 1, "a host cannot carry out its part: \(plan.stdout)\(plan.stderr)")
        for host in ["h1", "h2"] {
            #expect(plan.stderr.contains("\(host) (") && plan.stderr.contains("services run as \(ghost) here, but no account '\(ghost)'"),
                    "\(plan.stderr)")
        }
        let before = try Command.run("find", [sandbox.hosts[1].bkHome, "-path", "*/.jobfleet", "-prune", "-o", "-print"]).stdout
        let deploy = try cli.run(["deploy", "-f", manifest, "--yes"])
        #expect(deploy.status == 1, "\(deploy.stdout)\(deploy.stderr)")
        #expect(deploy.stderr.contains(ghost), "\(deploy.stderr)")
        let after = try Command.run("find", [sandbox.hosts[1].bkHome, "-path", "*/.jobfleet", "-prune", "-o", "-print"]).stdout
        #expect(before == after, "nothing was uploaded or written")
        let doctor = try cli.run(["doctor", "-f", manifest])
        #expect(doctor.status == 1)
        #expect(doctor.stdout.contains("run_as") && doctor.stdout.contains("no account '\(ghost)'"), "\(doctor.stdout)")
    }
}
