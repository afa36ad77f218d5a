import Foundation
import Shared
import Testing
import TestSupport

/// The stand-in release on a sandbox whose hosts each run a real Consul agent (h1 the server,
/// h2 and h3 clients): services register with their host's agent and find job-config through
/// it, `doctor` reports each agent, and `plan`/`deploy` refuse a host whose agent is gone.
@Suite("Consul on every sandbox host", .serialized, .sandbox("consul", network: "127.0.13", hosts: 3))
struct ConsulSandboxTests {
    let fleet: ControllerFleet

    init() throws {
        fleet = try ControllerFleet(attach: "consul", network: "127.0.13")
    }

    func host(_ name: String) throws -> SandboxHost {
        try #require(fleet.sandbox.hosts.first { $0.name == name })
    }

    /// GETs `path` from the Consul agent at `port` on 127.0.0.1 and decodes its JSON.
    static func consul(_ port: Int, _ path: String) throws -> Any {
        let script = "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"
        let result = try Command.run("python3", ["-c", script, "http://127.0.0.1:\(port)\(path)"])
        guard result.succeeded else { throw SandboxError(message: "GET \(path) on 127.0.0.1:\(port): \(result.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    /// `service@node` → status of every service check the cluster knows.
    static func checks(_ port: Int) throws -> [String: String] {
        var out: [String: String] = [:]
        for case let check as [String: Any] in try consul(port, "/v1/health/state/any") as? [Any] ?? [] {
            guard let service = check["ServiceName"] as? String, !service.isEmpty,
                  let node = check["Node"] as? String, let status = check["Status"] as? String else { continue }
            out["\(service)@\(node)"] = status
        }
        return out
    }

    @Test("every instance is registered with its own host's agent, passing, as the placement puts it")
    func registeredAndPassing() throws {
        let manifest = try fleet.ensureBaseline()
        let h1 = try host("h1")
        let expected = Set(ControllerFleet.baseline.flatMap { service, hosts in hosts.map { "\(service)@\($0)" } })
        var seen: [String: String] = [:]
        try Poll.until("every instance passing in Consul", within: .seconds(30)) {
            seen = try Self.checks(try #require(h1.consulPort))
            return expected.allSatisfy { seen[$0] == "passing" }
        }
        #expect(Set(seen.keys) == expected, "\(seen)")
        // Each registered with the agent of the host it runs on: h2's agent lists h2's services.
        let h2 = try host("h2")
        let local = try Self.consul(try #require(h2.consulPort), "/v1/agent/services") as? [String: Any] ?? [:]
        let names = Set(local.values.compactMap { ($0 as? [String: Any])?["Service"] as? String })
        #expect(names == Set(ControllerFleet.baseline.filter { $0.1.contains("h2") }.map(\.0)), "\(names)")
        let log = ControllerFleet.text(fleet.serviceLog("job-manage", on: h2))
        #expect(log.contains("Found 1 passing instance of job-config in consul at http://127.0.0.1:\(h2.consulPort!)"), "\(log)")

        let doctor = try fleet.cli.run(["doctor", "-f", manifest])
        for host in fleet.sandbox.hosts {
            let role = host.name == "h1" ? "server" : "client"
            #expect(doctor.stdout.contains("http://127.0.0.1:\(host.consulPort!): \(role) \(host.name) (Consul 1.8"),
                    "\(doctor.stdout)")
        }
    }

    @Test("a consumer started while no job-config passes in Consul fails fast, saying so in its log")
    func consumerFailsFastWithoutConfig() throws {
        let manifest = try fleet.ensureBaseline()
        let h1 = try host("h1"), h2 = try host("h2")
        let stop = try fleet.cli.run(["stop", "-f", manifest, "job-config"])
        #expect(stop.succeeded, "\(stop.stdout)\(stop.stderr)")
        defer { _ = try? fleet.cli.run(["start", "-f", manifest, "job-config"]) }
        // Drained and deregistered: Consul knows no job-config any more.
        try Poll.until("job-config gone from Consul", within: .seconds(30)) {
            try Self.checks(try #require(h1.consulPort))["job-config@h1"] == nil
        }

        let logs = "\(fleet.sandbox.dir)/consumer-logs"
        try? FileManager.default.removeItem(atPath: logs)
        let config = "\(h2.bkHome)/etc/job/application-manage.yml"
        let jar = "\(h2.bkHome)/job/backend/job-manage/job-manage.jar"
        let run = try Command.run("java", ["-Xmx64m", "-Dspring.config.additional-location=file://\(config)",
                                           "-Djob.log.dir=\(logs)", "-Dstandin.config-retry-ms=100",
                                           "-jar", jar])
        #expect(run.status == 1, "exit \(run.status): \(run.stderr)")
        let log = ControllerFleet.text("\(logs)/job-manage/job-manage.log")
        #expect(log.contains("Could not locate PropertySource and the fail fast property is set, failing: "
                             + "no instance of job-config is passing in Consul at http://127.0.0.1:\(h2.consulPort!)"), "\(log)")
        #expect(!log.contains("Tomcat started"), "it never listened")
        #expect(ControllerFleet.text("\(logs)/job-manage/error.log").contains("no instance of job-config is passing"))

        let start = try fleet.cli.run(["start", "-f", manifest, "job-config"])
        #expect(start.succeeded, "\(start.stdout)\(start.stderr)")
        try Poll.until("job-config passing again", within: .seconds(30)) {
            try Self.checks(try #require(h1.consulPort))["job-config@h1"] == "passing"
        }
    }

    @Test("with h3's Consul agent stopped, doctor names h3 and its port, and plan and deploy refuse, changing nothing")
    func refusedWithoutAgent() throws {
        let manifest = try fleet.ensureBaseline()
        let h3 = try host("h3")
        let port = try #require(h3.consulPort)
        let pidFile = "\(fleet.sandbox.dir)/hosts/h3/consul/consul.pid"
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pid, SIGTERM)
        defer { _ = try? Command.run("/bin/bash", [Sandbox.script, "up"], environment: fleet.sandbox.environment) }
        try Poll.until("h3's Consul agent to stop", within: .seconds(15)) { ProcessScan.hasEnded(pid) }

        let doctor = try fleet.cli.run(["doctor", "-f", manifest, "--hosts", "h3"])
        #expect(doctor.status == 1)
        #expect(doctor.stdout.contains("no Consul agent answers at http://127.0.0.1:\(port)"), "\(doctor.stdout)")

        // A change that would restart h3's instances makes the refusal matter.
        let before = try fleet.pids(manifest)
        let plan = try fleet.cli.run(["plan", "-f", manifest])
        #expect(plan.status == 1, "\(plan.stdout)\(plan.stderr)")
        let said = plan.stdout + plan.stderr
        #expect(said.contains("h3 (\(h3.address):\(h3.port)): the release's services need a Consul agent at http://127.0.0.1:\(port)"),
                "\(said)")
        for other in fleet.sandbox.hosts where other.name != "h3" {
            #expect(!said.contains("\(other.name) (\(other.address):\(other.port)): the release's services need"),
                    "\(other.name) has its agent")
        }

        let deploy = try fleet.cli.run(["deploy", "-f", try fleet.manifest(
            ControllerFleet.baseline.map { $0.0 == "job-backup" ? ($0.0, ["h3", "h1"]) : $0 }, name: "fleet-more.yaml"), "--yes"])
        #expect(deploy.status == 1, "\(deploy.stdout)\(deploy.stderr)")
        #expect(deploy.stderr.contains("need a Consul agent at http://127.0.0.1:\(port)"), "\(deploy.stderr)")
        #expect(deploy.stderr.contains("nothing was uploaded or changed"), "\(deploy.stderr)")
        #expect(try fleet.pids(manifest) == before, "nothing was started or restarted")
        #expect(!FileManager.default.fileExists(atPath: "\(fleet.sandbox.hosts[0].bkHome)/etc/job/application-backup.yml"))
    }
}
