import Foundation
import Shared
import Testing
@testable import Controller

/// The fleet's Consul agents: `consul` in the manifest, `hosts[].consul_http_port`, the
/// catalog's `consul: required`, and the per-host placeholders they feed.
@Suite("Consul in the manifest and catalog")
struct ConsulManifestTests {
    static func manifest(_ consul: String = "", hostExtra: String = "") -> String {
        """
        name: f
        ssh: { user: root, identity: /k/id_ed25519, known_hosts: /k/known_hosts }
        \(consul)
        hosts:
          - { name: h1, address: 10.0.0.11\(hostExtra) }
          - { name: h2, address: 10.0.0.12 }
        services:
          job-config: [h1]
        """
    }

    @Test("without a consul section every host's agent is Consul's default, http on 8500")
    func defaults() throws {
        let manifest = try FleetManifest.parse(yaml: Self.manifest(), path: "/f.yaml")
        #expect(manifest.consul == ConsulEndpoint(scheme: "http", port: 8500))
        #expect(manifest.hosts.map(\.consulSetting) == [ConsulEndpoint(scheme: "http", port: 8500),
                                                        ConsulEndpoint(scheme: "http", port: 8500)])
        #expect(manifest.hosts.allSatisfy { $0.consul == nil }, "nil until a catalog says the line needs Consul")
    }

    @Test("the fleet-wide port and scheme apply to every host; a host's consul_http_port overrides the port")
    func overrides() throws {
        let manifest = try FleetManifest.parse(yaml: Self.manifest("consul: { http_port: 8501, scheme: https }",
                                                                   hostExtra: ", consul_http_port: 5173"), path: "/f.yaml")
        #expect(manifest.hosts[0].consulSetting == ConsulEndpoint(scheme: "https", port: 5173))
        #expect(manifest.hosts[1].consulSetting == ConsulEndpoint(scheme: "https", port: 8501))
        #expect(manifest.hosts[1].consulSetting.url == "https://127.0.0.1:8501")
    }

    @Test("bad consul settings are reported with file, line and field, all at once")
    func rejects() throws {
        let yaml = Self.manifest("consul: { http_port: 70000, scheme: ftp, token: x }", hostExtra: ", consul_http_port: zero")
        let error = try #require(throws: ConfigError.self) { try FleetManifest.parse(yaml: yaml, path: "/f.yaml") }
        let text = error.issues.map(\.description)
        #expect(text.contains { $0.hasPrefix("/f.yaml:3") && $0.contains("consul.http_port") && $0.contains("1 to 65535") }, "\(text)")
        #expect(text.contains { $0.hasPrefix("/f.yaml:3") && $0.contains("consul.scheme") && $0.contains("http or https, got 'ftp'") },
                "\(text)")
        #expect(text.contains { $0.contains("token") }, "unknown key: \(text)")
        #expect(text.contains { $0.hasPrefix("/f.yaml:5") && $0.contains("hosts[0].consul_http_port") }, "\(text)")
    }

    @Test("the catalog says whether its line needs Consul", arguments: [
        ("consul: required\n", true), ("consul: none\n", false), ("", false),
    ])
    func catalogNeed(line: String, needs: Bool) throws {
        let yaml = "catalog_version: 1\n\(line)services:\n  job-config: { jar: backend/job-config/job-config.jar, port: \"1\" }\n"
        #expect(try ServiceCatalog.parse(yaml: yaml, path: "/c.yaml").needsConsul == needs)
    }

    @Test("a catalog's consul must be required or none")
    func catalogRejects() throws {
        let yaml = "catalog_version: 1\nconsul: maybe\nservices:\n  job-config: { jar: backend/job-config/job-config.jar, port: \"1\" }\n"
        let error = try #require(throws: ConfigError.self) { try ServiceCatalog.parse(yaml: yaml, path: "/c.yaml") }
        #expect(error.issues.contains { $0.line == 2 && $0.field == "consul" && $0.message.contains("required") })
    }

    @Test("the shipped catalogs of every line, and the stand-ins', need Consul")
    func shippedCatalogs() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/bk-job").path
        for file in ["catalog.yaml", "catalogs/3.3.yaml", "catalogs/3.4.yaml", "catalogs/3.8.yaml", "catalogs/3.8-lite.yaml"] {
            #expect(try ServiceCatalog.load(path: "\(root)/\(file)").needsConsul, "\(file)")
        }
    }

    @Test("CONSUL_HTTP_PORT and CONSUL_SCHEME are each host's own; an env file's values are ignored with a warning")
    func placeholders() throws {
        let env = try EnvFile.parse("CONSUL_HTTP_PORT=8500\nCONSUL_SCHEME=http\nBK_X=$CONSUL_SCHEME://127.0.0.1:$CONSUL_HTTP_PORT\n",
                                    path: "site.env")
        #expect(env.values["CONSUL_HTTP_PORT"] == nil)
        #expect(env.warnings.map(\.message).contains {
            $0.contains("jobfleet sets CONSUL_HTTP_PORT for each host (hosts[].consul_http_port (or consul.http_port)")
        })
        var host = FleetManifest.Host(name: "h1", address: "10.0.0.1", bkHome: "/srv/bk", user: "root")
        host.consulSetting = ConsulEndpoint(scheme: "https", port: 5173)
        let values = DesiredFleet.hostValues(host, env.values)
        #expect(values["CONSUL_HTTP_PORT"] == "5173")
        #expect(values["CONSUL_SCHEME"] == "https")
        #expect(values["BK_X"] == "https://127.0.0.1:5173")
    }
}

@Suite("Consul in planning")
struct ConsulPlanningTests {
    @Test("instances carry their host's Consul agent when the line needs one, and none otherwise")
    func instanceHost() throws {
        var fixture = try PlanningFixture()
        #expect(try fixture.desired().instances.allSatisfy { $0.host.consul == nil })
        fixture = try PlanningFixture.withConsul()
        let desired = try fixture.desired()
        #expect(desired.instances.allSatisfy { $0.host.consul == ConsulEndpoint(scheme: "http", port: 8500) })
        #expect(desired.manifest.hosts.allSatisfy { $0.consul != nil })
    }

    @Test("a host running services of a line that needs Consul, whose agent found none, is a problem naming host and port")
    func refusal() throws {
        let fixture = try PlanningFixture.withConsul()
        let desired = try fixture.desired()
        var observed = PlanningFixture.converged(desired)
        observed[1].consulProblem = "no Consul agent answers at http://127.0.0.1:8500: connection refused"
        observed[2].consulProblem = "no Consul agent answers at http://127.0.0.1:8500: connection refused"
        let plan = Planner.plan(desired: desired, observed: observed)
        // h3 runs nothing: its missing agent stops nothing.
        #expect(plan.problems.count == 1, "\(plan.problems)")
        let problem = try #require(plan.problems.first)
        #expect(problem.hasPrefix("h2 (10.9.0.2:22): the release's services need a Consul agent at http://127.0.0.1:8500"
                                  + " on this host, but no Consul agent answers"), "\(problem)")
    }

    @Test("a line that needs no Consul plans without one")
    func noConsulNeeded() throws {
        let fixture = try PlanningFixture()
        let desired = try fixture.desired()
        var observed = PlanningFixture.converged(desired)
        observed[1].consulProblem = "no Consul agent answers at http://127.0.0.1:8500: connection refused"
        #expect(Planner.plan(desired: desired, observed: observed).problems.isEmpty)
    }
}

extension PlanningFixture {
    /// The fixture with `consul: required` in its catalog.
    static func withConsul() throws -> PlanningFixture {
        var fixture = try PlanningFixture()
        fixture.catalog.needsConsul = true
        return fixture
    }
}
