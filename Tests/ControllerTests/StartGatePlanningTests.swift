import Foundation
import Shared
import Testing
@testable import Controller

@Suite("Start gates handed to the agents")
struct StartGatePlanningTests {
    static let placement = """
          job-config: [h1, h3]
          job-manage: [h1, h2]
          job-execute: [h2]
        """

    func desired(consul: [String: ConsulEndpoint] = [:]) throws -> DesiredFleet {
        let fixture = try PlanningFixture()
        var manifest = try fixture.manifest(Self.placement)
        for index in manifest.hosts.indices { manifest.hosts[index].consul = consul[manifest.hosts[index].name] }
        return try DesiredFleet.build(manifest: manifest, catalog: fixture.catalog,
                                      env: try EnvFile.load(path: "\(fixture.dir)/job.env"))
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

    @Test("with Consul on the host the gate asks that host's agent, whatever the placement of job-config")
    func consulGates() throws {
        let endpoint = ConsulEndpoint(scheme: "http", port: 18_512)
        let fleet = try desired(consul: ["h2": endpoint])
        let onH2 = fleet.instances(on: "h2")
        #expect(!onH2.isEmpty)
        for instance in onH2 {
            #expect(instance.spec.startGates == [StartGate(service: "job-config", consul: endpoint)])
        }
        let manageOnH1 = try #require(fleet.instances(of: "job-manage").first { $0.host.name == "h1" })
        #expect(manageOnH1.spec.startGates.first?.consul == nil, "h1 has no Consul: health probes")
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
