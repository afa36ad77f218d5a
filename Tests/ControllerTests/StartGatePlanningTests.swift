import Foundation
import Shared
import Testing
@testable import Controller

@Suite("Start gates handed to the agents")
struct StartGatePlanningTests {
    static let placement = """
          job-config: [h1, h3]
          job-manage: [h1, h2]
          job-execute: [h2, h3]
        """

    /// The fixture's fleet; with `consul`, the catalog line needs Consul and each host's
    /// agent is the one given.
    func desired(consul: [String: ConsulEndpoint]? = nil) throws -> DesiredFleet {
        let fixture = try PlanningFixture()
        var manifest = try fixture.manifest(Self.placement)
        var catalog = fixture.catalog
        if let consul {
            catalog.needsConsul = true
            for index in manifest.hosts.indices {
                manifest.hosts[index].consulSetting = try #require(consul[manifest.hosts[index].name])
            }
        }
        return try DesiredFleet.build(manifest: manifest, catalog: catalog, env: try EnvFile.load(path: "\(fixture.dir)/job.env"))
    }

    @Test("without Consul a dependent waits for a healthy answer from job-config on any of its hosts")
    func healthGates() throws {
        let fleet = try desired()
        #expect(fleet.instances(of: "job-config").allSatisfy { $0.spec.startGates.isEmpty })
        for instance in fleet.instances where instance.service != "job-config" {
            let gate = try #require(instance.spec.startGates.first)
            #expect(instance.spec.startGates.count == 1)
            #expect(gate.service == "job-config")
            #expect(gate.consul == nil)
            #expect(gate.probes == fleet.instances(of: "job-config").compactMap(\.spec.health))
            #expect(gate.probes.count == 2)
        }
    }

    @Test("with Consul each dependent asks its own host's agent; an https agent falls back to the health checks")
    func consulGates() throws {
        let ports = ["h1": 18_511, "h2": 18_512]
        var consul = ports.mapValues { ConsulEndpoint(scheme: "http", port: $0) }
        consul["h3"] = ConsulEndpoint(scheme: "https", port: 18_513)
        let fleet = try desired(consul: consul)
        for instance in fleet.instances where instance.service != "job-config" {
            let gate = try #require(instance.spec.startGates.first)
            if let port = ports[instance.host.name] {
                #expect(instance.spec.startGates == [StartGate(service: "job-config", consul: ConsulEndpoint(scheme: "http", port: port))],
                        "\(instance.key)")
            } else {
                #expect(gate.consul == nil && gate.probes.count == 2, "the agent speaks no TLS: \(instance.key)")
            }
        }
        #expect(fleet.instances.contains { $0.host.name == "h3" && $0.service == "job-execute" })
    }

    @Test("the gates are part of the revision: moving job-config changes its dependents' gates and revisions")
    func revisionCoversGates() throws {
        let gated = try desired()
        let manage = try #require(gated.instances(of: "job-manage").first)
        let files = manage.files + manage.served
        var bare = manage.spec
        #expect(!bare.startGates.isEmpty)
        let fingerprinted = DesiredFleet.revision(of: bare, files: files, key: nil)
        #expect(fingerprinted == bare.revision)
        bare.startGates = []
        #expect(DesiredFleet.revision(of: bare, files: files, key: nil) != fingerprinted)
    }

    @Test("a held instance shows in status and plan as waiting for job-config, with why")
    func waitingShown() throws {
        let fleet = try desired()
        let manage = try #require(fleet.instances(of: "job-manage").first)
        var status = ServiceStatus(name: "job-manage", desired: .running, state: .waiting)
        status.waitingFor = ["job-config"]
        status.waitingReason = "no instance of job-config answers as healthy (connection refused)"
        status.waitingSince = Date(timeIntervalSince1970: 1_800_000_000)
        let report = StatusReport.build(desired: fleet, statuses: [
            manage.host.name: .success(StatusResult(agent: AgentInfo(version: "t", protocolVersions: [1], pid: 1,
                                                                     startedAt: Date(), bkHome: "/data/bkee"),
                                                    at: Date(), lease: nil, services: [status])),
        ])
        let text = report.text()
        #expect(text.contains("waiting for job-config"))
        #expect(text.contains("job-manage@\(manage.host.name) waiting for job-config since 2027-01-15T08:00:00.000Z: no instance of job-config answers as healthy (connection refused)"))
        let json = String(decoding: try JSONEncoder().encode(report.rows.first { $0.service == "job-manage" }), as: UTF8.self)
        #expect(json.contains(#""state":"waiting""#) && json.contains(#""waiting_for":["job-config"]"#))
        #expect(Readiness.problem(manage, status) == "waiting for job-config")
        let change = Planner.change(for: manage, status: status, changedFiles: [])
        #expect(change.action == .start && change.reasons.first == "waiting for job-config")
    }
}
