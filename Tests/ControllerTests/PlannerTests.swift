import Foundation
import Shared
import Testing
@testable import Controller

/// A tiny release, catalog and manifest on disk, for planning without hosts.
struct PlanningFixture {
    let dir: String
    var catalog: ServiceCatalog

    init(services: [String] = ["job-config", "job-manage", "job-execute"]) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-plan-\(UUID().uuidString)").path
        var yaml = "catalog_version: 1\nproject: job\nrunbook: [\(services.joined(separator: ", "))]\nservices:\n"
        for service in services {
            let short = service.dropFirst(4)
            try Self.write("\(dir)/release/backend/\(service)/\(service).jar", "jar of \(service) v1")
            try Self.write("\(dir)/release/backend/\(service)/bin/\(service).sh", "#!/bin/sh\n")
            try Self.write("\(dir)/release/support-files/templates/application-\(short).yml",
                           "server:\n  address: __LAN_IP__\n  port: __PORT_\(short.uppercased().replacing("-", with: "_"))__\n")
            yaml += """
                  \(service):
                    jar: backend/\(service)/\(service).jar
                    script: backend/\(service)/bin/\(service).sh
                    port: "__PORT_\(short.uppercased().replacing("-", with: "_"))__"
                    config: { template: support-files/templates/application-\(short).yml, dest: etc/job/application-\(short).yml }
                    java_opts: ["-Djob.log.dir=__BK_HOME__/logs/job"]
                    depends_on: [\(service == "job-config" ? "" : "job-config")]

                """
        }
        try Self.write("\(dir)/catalog.yaml", yaml)
        try Self.write("\(dir)/job.env", "PORT_CONFIG=10500\nPORT_MANAGE=10505\nPORT_EXECUTE=10502\nPASS_PASSWORD=hush\n")
        catalog = try ServiceCatalog.load(path: "\(dir)/catalog.yaml")
    }

    static func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func manifest(_ placement: String) throws -> FleetManifest {
        try FleetManifest.parse(yaml: """
            name: test
            hosts:
              - { name: h1, address: 10.9.0.1 }
              - { name: h2, address: 10.9.0.2 }
              - { name: h3, address: 10.9.0.3, bk_home: /srv/bkee }
            release: { dir: release, env: job.env }
            catalog: catalog.yaml
            services:
            \(placement)
            """, path: "\(dir)/fleet.yaml")
    }

    static let placement = """
          job-config: [h1]
          job-manage: [h1, h2]
          job-execute: [h1, h2]
        """

    func desired(_ placement: String = placement) throws -> DesiredFleet {
        try DesiredFleet.build(manifest: try manifest(placement), catalog: catalog,
                               env: try EnvFile.load(path: "\(dir)/job.env"))
    }

    /// What hosts report once `desired` has been fully deployed and is healthy.
    static func converged(_ desired: DesiredFleet) -> [ObservedHost] {
        desired.manifest.hosts.map { host in
            var observed = ObservedHost(host: host)
            for instance in desired.instances(on: host.name) {
                var status = ServiceStatus(name: instance.service, desired: .running, state: .running,
                                           health: HealthStatus(state: .healthy))
                status.release = instance.artifact.id
                status.activeRelease = instance.artifact.id
                status.revision = instance.spec.revision
                observed.services[instance.service] = status
                observed.releases.insert("\(instance.service)/\(instance.artifact.id)")
                for file in instance.files { observed.files[file.remotePath] = file.sha256 }
            }
            for (_, file) in desired.served(on: host.name) { observed.files[file.remotePath] = file.sha256 }
            return observed
        }
    }
}

@Suite("Planner")
struct PlannerTests {
    @Test("a fresh fleet uploads everything and starts job-config before the rest")
    func freshFleet() throws {
        let fixture = try PlanningFixture()
        let desired = try fixture.desired()
        let plan = Planner.plan(desired: desired, observed: [])
        #expect(plan.hasChanges)
        #expect(plan.waves == [["job-config"], ["job-manage", "job-execute"]])
        let h1 = try #require(plan.hosts.first { $0.host.name == "h1" })
        #expect(h1.uploads.map(\.service) == ["job-config", "job-manage", "job-execute"])
        #expect(h1.changes.allSatisfy { $0.action == .start })
        #expect(plan.hosts.first { $0.host.name == "h3" }?.hasChanges == false)
    }

    @Test("rendered instances carry the host's own address, BK_HOME and the job-config servers")
    func rendering() throws {
        let fixture = try PlanningFixture()
        let desired = try fixture.desired()
        let manage = try #require(desired.instances.first { $0.label == "job-manage@h2" })
        #expect(manage.spec.command.contains("-Djob.log.dir=/data/bkee/logs/job"))
        #expect(manage.spec.command.suffix(2) == ["-jar", "/data/bkee/job/backend/job-manage/job-manage.jar"])
        #expect(manage.releaseJar.hasPrefix("/data/bkee/job/backend/job-manage/releases/\(manage.artifact.id)/"))
        let config = try #require(manage.files.first { $0.remotePath == "/data/bkee/etc/job/application-manage.yml" })
        #expect(String(decoding: config.content, as: UTF8.self).contains("address: 10.9.0.2"))
        #expect(desired.values["BK_JOB_CONFIG_SERVERS"] == "http://10.9.0.1:10500")
    }

    @Test("a converged fleet plans nothing")
    func noop() throws {
        let fixture = try PlanningFixture()
        let desired = try fixture.desired()
        let plan = Planner.plan(desired: desired, observed: PlanningFixture.converged(desired))
        #expect(!plan.hasChanges)
        #expect(plan.hosts.flatMap(\.changes).allSatisfy { $0.action == .none })
    }

    @Test("a new jar uploads and restarts only that service")
    func newRelease() throws {
        let fixture = try PlanningFixture()
        let before = try fixture.desired()
        try PlanningFixture.write("\(fixture.dir)/release/backend/job-manage/job-manage.jar", "jar of job-manage v2")
        let after = try fixture.desired()
        let plan = Planner.plan(desired: after, observed: PlanningFixture.converged(before))
        let changed = plan.hosts.flatMap(\.changes).filter { $0.action != .none }
        #expect(changed.map(\.instance.label) == ["job-manage@h1", "job-manage@h2"])
        #expect(changed.allSatisfy { $0.action == .restart && $0.reasons.first?.hasPrefix("release ") == true })
        #expect(plan.hosts.flatMap(\.uploads).map(\.service) == ["job-manage", "job-manage"])
    }

    @Test("a new release version alone changes no revision and plans nothing")
    func versionOnly() throws {
        let fixture = try PlanningFixture()
        let before = try fixture.desired()
        var after = try fixture.desired()
        after.setVersion("3.12.3")
        #expect(after.version == "3.12.3" && after.instances.allSatisfy { $0.spec.version == "3.12.3" })
        #expect(after.instances.map(\.spec.revision) == before.instances.map(\.spec.revision))
        #expect(!Planner.plan(desired: after, observed: PlanningFixture.converged(before)).hasChanges)
    }

    @Test("a rollback's specs name the earlier release's version when the journal knows it, none otherwise")
    func rollbackVersion() throws {
        let fixture = try PlanningFixture()
        var desired = try fixture.desired()
        desired.setVersion("3.12.3")
        let statuses = Dictionary(grouping: PlanningFixture.converged(desired).flatMap { host in
            host.services.values.map { (host.host.name, $0) }
        }, by: \.0).mapValues { $0.map(\.1) }
        let manage = desired.instances(of: "job-manage")
        let known = Planner.rollback(desired: desired, instances: manage, statuses: statuses, to: "0123456789abcdef",
                                     history: { _ in [] }, version: { _, release in release == "0123456789abcdef" ? "3.12.2" : nil })
        #expect(known.desired.instances(of: "job-manage").map(\.spec.version) == ["3.12.2", "3.12.2"])
        #expect(known.desired.instances(of: "job-config").map(\.spec.version) == ["3.12.3"])
        let unknown = Planner.rollback(desired: desired, instances: manage, statuses: statuses, to: "0123456789abcdef",
                                       history: { _ in [] })
        #expect(unknown.desired.instances(of: "job-manage").allSatisfy { $0.spec.version == nil })
    }

    @Test("scaling out touches only the new host's instance")
    func scaleOut() throws {
        let fixture = try PlanningFixture()
        let before = try fixture.desired()
        let after = try fixture.desired(PlanningFixture.placement.replacing("job-execute: [h1, h2]", with: "job-execute: [h1, h2, h3]"))
        let plan = Planner.plan(desired: after, observed: PlanningFixture.converged(before))
        let changed = plan.hosts.flatMap(\.changes).filter { $0.action != .none }
        #expect(changed.map(\.instance.label) == ["job-execute@h3"])
        #expect(plan.hosts.filter(\.hasChanges).map(\.host.name) == ["h3"])
        #expect(changed.first?.instance.host.bkHome == "/srv/bkee")
    }

    @Test("a service removed from a host's placement is stopped there")
    func removal() throws {
        let fixture = try PlanningFixture()
        let before = try fixture.desired()
        let after = try fixture.desired(PlanningFixture.placement.replacing("job-manage: [h1, h2]", with: "job-manage: [h1]"))
        let plan = Planner.plan(desired: after, observed: PlanningFixture.converged(before))
        #expect(plan.hosts.first { $0.host.name == "h2" }?.stops == ["job-manage"])
    }

    @Test("a changed configuration value restarts the instances that use it")
    func configChange() throws {
        let fixture = try PlanningFixture()
        let before = try fixture.desired()
        try PlanningFixture.write("\(fixture.dir)/job.env", "PORT_CONFIG=10500\nPORT_MANAGE=10599\nPORT_EXECUTE=10502\n")
        let after = try fixture.desired()
        let plan = Planner.plan(desired: after, observed: PlanningFixture.converged(before))
        let changed = plan.hosts.flatMap(\.changes).filter { $0.action != .none }
        #expect(changed.map(\.instance.label) == ["job-manage@h1", "job-manage@h2"])
        #expect(changed.first?.reasons == ["changed: application-manage.yml"])
        #expect(plan.hosts.flatMap(\.uploads).isEmpty)
    }

    @Test("runbook order starts one service per wave in the upstream sequence")
    func runbookWaves() throws {
        let fixture = try PlanningFixture()
        let plan = Planner.plan(desired: try fixture.desired(), observed: [], order: .runbook)
        #expect(plan.waves == [["job-config"], ["job-manage"], ["job-execute"]])
    }

    @Test("--only limits the plan to one service")
    func only() throws {
        let fixture = try PlanningFixture()
        let plan = Planner.plan(desired: try fixture.desired(), observed: [], only: ["job-execute"])
        #expect(plan.waves == [["job-execute"]])
        #expect(Set(plan.hosts.flatMap(\.changes).map(\.instance.service)) == ["job-execute"])
    }

    @Test("env problems are reported before any host is contacted")
    func envProblems() throws {
        let fixture = try PlanningFixture()
        try PlanningFixture.write("\(fixture.dir)/job.env", "PORT_CONFIG=10500\nBK_HOME=/x\n")
        let error = try #require(throws: ConfigError.self) { try fixture.desired() }
        let text = error.description
        #expect(text.contains("application-manage.yml:3: PORT_MANAGE: has no value"))
        #expect(!text.contains("BK_HOME"))
    }
}
