import Foundation
import Shared
import Testing
@testable import Controller

/// A release laid out as upstream's tarball lays out `job/`, planned with the shipped catalogs.
struct UpstreamFixture {
    let dir: String
    static let catalogs = "\(ShippedCatalogTests.repoRoot)/deploy/bk-job/catalogs"

    init(version: String = "3.12.3", manageYAML: String = "job:\n  manage:\n    password: __BK_JOB_MANAGE_MYSQL_PASSWORD__\n") throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-upstream-\(UUID().uuidString)").path
        let root = "\(dir)/job"
        try PlanningFixture.write("\(root)/VERSION", "\(version)\n")
        for service in ["job-config", "job-manage"] {
            try PlanningFixture.write("\(root)/backend/\(service)/\(service).jar", "jar of \(service) \(version)")
            try PlanningFixture.write("\(root)/backend/\(service)/bin/\(service).sh", "#!/bin/sh\n")
        }
        let templates = "\(root)/support-files/templates"
        try PlanningFixture.write("\(templates)/#etc#job#application-config.yml", "server:\n  port: __BK_JOB_CONFIG_SERVER_PORT__\n")
        try PlanningFixture.write("\(templates)/#etc#job#application-manage.yml",
                                  "server:\n  port: __BK_JOB_MANAGE_SERVER_PORT__\nconfig: __BK_JOB_CONFIG_SERVERS__\n")
        try PlanningFixture.write("\(templates)/#etc#job#job-manage#job-manage.yml", manageYAML)
        try PlanningFixture.write("\(templates)/#etc#job#job-common#application.yml", "job:\n  domain: __BK_DOMAIN__\n")
        try PlanningFixture.write("\(templates)/#job#deploy.yml", """
            services:
              - name: job-config
                binary_jar: job/backend/job-config/job-config.jar
                args: "-Dspring.profiles.active=native,prod -DBK_JOB_CONFIG_DIR=__BK_HOME__/etc/job -Xms256m -jar __BK_HOME__/job/backend/job-config/job-config.jar"
              - name: job-manage
                binary_jar: job/backend/job-manage/job-manage.jar
                args: "-Dspring.profiles.active=prod -Dspring.config.additional-location=file://__BK_HOME__/etc/job/application-manage.yml -Xms512m -jar __BK_HOME__/job/backend/job-manage/job-manage.jar"

            """)
        try PlanningFixture.write("\(dir)/job.env", "BK_HOME=\nBK_JOB_CONFIG_SERVER_PORT=10500\nBK_JOB_MANAGE_SERVER_PORT=10505\n")
        try PlanningFixture.write("\(dir)/site.env", "BK_DOMAIN=example.com\nBK_JOB_MANAGE_MYSQL_PASSWORD=s3cret-manage\n")
    }

    func manifest(_ placement: String = "  job-config: [h1]\n  job-manage: [h2, h3]", mode: String = "stable") throws -> FleetManifest {
        try FleetManifest.parse(yaml: """
            name: upstream
            hosts:
              - { name: h1, address: 10.9.0.1 }
              - { name: h2, address: 10.9.0.2 }
              - { name: h3, address: 10.9.0.3, bk_home: /srv/bkee }
            release: { dir: job, env: [site.env, job.env], mode: \(mode), java_opts: ["-Xmx96m"] }
            catalog: \(Self.catalogs)
            services:
            \(placement)
            """, path: "\(dir)/fleet.yaml")
    }

    func desired(_ manifest: FleetManifest) throws -> DesiredFleet {
        let release = try #require(manifest.release)
        let catalog = try ServiceCatalog.load(path: Self.catalogs, version: "3.12.3", mode: release.mode, manifest: manifest.path)
        return try DesiredFleet.build(manifest: manifest, catalog: catalog,
                                      env: try EnvFile.load(paths: release.envFiles, undefined: .error))
    }
}

@Suite("Releases as upstream ships them")
struct UpstreamReleaseTests {
    func pick(_ version: String?, _ mode: String = "stable") throws -> ServiceCatalog {
        try ServiceCatalog.load(path: UpstreamFixture.catalogs, version: version, mode: mode, manifest: "fleet.yaml")
    }

    @Test("VERSION picks the catalog of its line", arguments: [
        ("3.3.8", "stable", "3.3.yaml", 11), ("2.9", "stable", "3.3.yaml", 11), ("v3.4.0", "stable", "3.4.yaml", 10),
        ("3.7.4", "stable", "3.4.yaml", 10), ("3.8.0", "stable", "3.8.yaml", 10), ("3.12.3-rc1", "stable", "3.8.yaml", 10),
        ("3.12.3", "lite", "3.8-lite.yaml", 2),
    ])
    func versionLines(version: String, mode: String, file: String, count: Int) throws {
        let catalog = try pick(version, mode)
        #expect((catalog.path as NSString).lastPathComponent == file)
        #expect(catalog.services.count == count)
        #expect(catalog.service("job-ticket") == nil || file == "3.3.yaml")
        if mode == "lite" {
            #expect(catalog.services.allSatisfy { $0.dependsOn.isEmpty })
            #expect(catalog.service("job-config") == nil)
        }
    }

    @Test("a VERSION that no line covers, or none at all, says what to do")
    func noLine() {
        #expect(throws: ConfigError.self) { try pick(nil) }
        #expect(throws: ConfigError.self) { try pick("latest") }
        #expect(throws: ConfigError.self) { try pick("3.3.8", "lite") }
        do { _ = try pick("3.3.8", "lite") } catch {
            #expect("\(error)".contains("3.8-lite.yaml"))
            #expect("\(error)".contains("mode lite"))
        }
    }

    @Test("version ranges compare each number, at the precision of the bound")
    func ranges() throws {
        let line = try #require(CatalogLine.parse("3.4-3.7", mode: "stable"))
        #expect(line.covers(try #require(ReleaseVersion("3.7.9")), mode: "stable"))
        #expect(line.covers(try #require(ReleaseVersion("3.4")), mode: "stable"))
        #expect(!line.covers(try #require(ReleaseVersion("3.10.0")), mode: "stable"))
        #expect(!line.covers(try #require(ReleaseVersion("3.3.9")), mode: "stable"))
        #expect(!line.covers(try #require(ReleaseVersion("3.5")), mode: "lite"))
        #expect(CatalogLine.parse("3.x", mode: "stable") == nil)
        #expect(try #require(ReleaseVersion("3.12.1")) > (try #require(ReleaseVersion("3.9.9"))))
    }

    @Test("templates may carry upstream's # names; their destination follows render_tpl and stays strict")
    func templateNames() throws {
        func catalog(_ config: String) throws -> ServiceCatalog {
            try ServiceCatalog.parse(yaml: """
                catalog_version: 1
                services:
                  job-manage:
                    jar: backend/job-manage/job-manage.jar
                    port: "1"
                    config: \(config)
                """, path: "c.yaml")
        }
        let parsed = try catalog(#"[{ template: "support-files/templates/#etc#job#job-manage#job-manage.yml" }]"#)
        #expect(parsed.services[0].configs == [.init(template: "support-files/templates/#etc#job#job-manage#job-manage.yml",
                                                      dest: "etc/job/job-manage/job-manage.yml")])
        for bad in [#"{ template: "t/#etc#..#shadow" }"#, #"{ template: "t/plain.yml" }"#,
                    #"{ template: "t/#etc#job#a.yml", dest: "../a.yml" }"#, #"{ template: "t/a b.yml", dest: "etc/a" }"#] {
            #expect(throws: ConfigError.self, "\(bad)") { try catalog(bad) }
        }
        do { _ = try catalog(#"{ template: "t/#etc#..#shadow" }"#) } catch {
            #expect("\(error)".contains("'..'"))
            #expect("\(error)".contains("set dest"))
        }
    }

    @Test("a placement naming a service the line dropped says why")
    func removedService() throws {
        let fixture = try UpstreamFixture()
        let manifest = try fixture.manifest("  job-config: [h1]\n  job-ticket: [h2]")
        do {
            _ = try fixture.desired(manifest)
            Issue.record("job-ticket was accepted")
        } catch let error as ConfigError {
            #expect("\(error)".contains("services.job-ticket"))
            #expect("\(error)".contains("job-ticket was merged into job-manage in 3.4"))
        }
    }

    @Test("every file renders to upstream's destination; job-X.yml and job-common live on job-config's hosts")
    func destinations() throws {
        let fixture = try UpstreamFixture()
        let desired = try fixture.desired(try fixture.manifest())
        let config = try #require(desired.instances(of: "job-config").first)
        #expect(config.files.map(\.remotePath) == ["/data/bkee/etc/job/application-config.yml",
                                                  "/data/bkee/job/backend/job-config/bin/job-config.sh"])
        let manage = try #require(desired.instances(of: "job-manage").first { $0.host.name == "h3" })
        #expect(manage.files.map(\.remotePath) == ["/srv/bkee/etc/job/application-manage.yml",
                                                  "/srv/bkee/job/backend/job-manage/bin/job-manage.sh"])
        #expect(manage.served.map(\.remotePath) == ["/data/bkee/etc/job/job-manage/job-manage.yml",
                                                   "/data/bkee/etc/job/job-common/application.yml"])
        #expect(manage.served.allSatisfy { $0.servedOn == "h1" })
        #expect(desired.files(on: "h1").map(\.remotePath).contains("/data/bkee/etc/job/job-manage/job-manage.yml"))
        #expect(desired.files(on: "h2").allSatisfy { !$0.remotePath.contains("job-manage/job-manage.yml") })
        let served = try #require(manage.served.first)
        #expect(served.secretLines == [2])
        #expect(String(decoding: served.content, as: UTF8.self).contains("s3cret-manage"))
        #expect(desired.mask(String(decoding: served.content, as: UTF8.self)).contains("s3cret-manage") == false)
    }

    @Test("JVM options come from the release's #job#deploy.yml, rendered per host, with release.java_opts after them")
    func deployFileOptions() throws {
        let fixture = try UpstreamFixture()
        let desired = try fixture.desired(try fixture.manifest())
        let manage = try #require(desired.instances(of: "job-manage").first { $0.host.name == "h3" })
        #expect(manage.spec.command == ["java", "-Dspring.profiles.active=prod",
                                        "-Dspring.config.additional-location=file:///srv/bkee/etc/job/application-manage.yml",
                                        "-Xms512m", "-Xmx96m", "-jar", "/srv/bkee/job/backend/job-manage/job-manage.jar"])
        let config = try #require(desired.instances(of: "job-config").first)
        #expect(config.spec.command.contains("-Dspring.profiles.active=native,prod"))
        #expect(config.spec.command.contains("-DBK_JOB_CONFIG_DIR=/data/bkee/etc/job"))
    }
}

@Suite("Configuration served by job-config")
struct ServedConfigurationTests {
    /// The fleet deployed with the fixture's first job-manage.yml, and the plan after it changed.
    func changedPlan() throws -> (desired: DesiredFleet, plan: Plan) {
        let before = try UpstreamFixture()
        let deployed = try before.desired(try before.manifest())
        let after = try UpstreamFixture(manageYAML: "job:\n  manage:\n    threads: 8\n")
        // Same jars, same own files: only the served job-manage.yml differs.
        let desired = try after.desired(try after.manifest())
        return (desired, Planner.plan(desired: desired, observed: PlanningFixture.converged(deployed)))
    }

    @Test("a converged fleet, served files included, has nothing to do")
    func converged() throws {
        let fixture = try UpstreamFixture()
        let desired = try fixture.desired(try fixture.manifest())
        let plan = Planner.plan(desired: desired, observed: PlanningFixture.converged(desired))
        #expect(!plan.hasChanges)
    }

    @Test("a changed job-manage.yml is written on job-config's host and restarts job-manage, not job-config")
    func changeRestartsConsumer() throws {
        let (_, plan) = try changedPlan()
        let h1 = try #require(plan.hosts.first { $0.host.name == "h1" })
        #expect(h1.files.map(\.file.remotePath) == ["/data/bkee/etc/job/job-manage/job-manage.yml"])
        #expect(h1.files.allSatisfy { $0.served && $0.service == "job-manage" })
        #expect(h1.changes.map(\.action) == [.none])
        let manage = plan.changes(of: "job-manage")
        #expect(manage.count == 2)
        #expect(manage.allSatisfy { $0.action == .restart })
        #expect(manage.allSatisfy { $0.reasons.contains("job-manage.yml changed on h1 (served by job-config)") })
        for host in ["h2", "h3"] {
            #expect(plan.hosts.first { $0.host.name == host }?.files.isEmpty == true)
        }
        let text = PlanText.render(plan, fleet: "upstream", mask: SecretMask(env: [:]))
        #expect(text.contains("served to job-manage; restarts its instances"))
    }

    @Test("the rollout writes the served file once job-config is ready, before any job-manage restarts")
    func publishBeforeRestart() throws {
        let (desired, plan) = try changedPlan()
        var machine = RolloutMachine(plan: plan, desired: desired, options: RolloutOptions())
        let first = machine.start().filter { if case .emit = $0 { false } else { true } }
        #expect(first == [.askStatus(host: "h1", services: ["job-config"])])
        var healthy = ServiceStatus(name: "job-config", desired: .running, state: .running, health: HealthStatus(state: .healthy))
        let config = try #require(desired.instances(of: "job-config").first)
        healthy.release = config.artifact.id
        healthy.revision = config.spec.revision
        let opened = machine.handle(.statuses(host: "h1", [healthy]), at: .zero)
        let file = try #require(plan.hosts.first { $0.host.name == "h1" }?.files.first?.file)
        #expect(opened.contains(.publish(host: "h1", service: "job-manage", files: [file])))
        #expect(!opened.contains { if case .activate = $0 { true } else { false } })
        let after = machine.handle(.published(host: "h1", service: "job-manage", error: nil), at: .zero)
        #expect(after.contains { if case .activate(let key, _) = $0 { key.service == "job-manage" } else { false } })
        #expect(after.contains(.emit(.step(instance: "job-manage@h1", what: "wrote job-manage.yml (served from this host)"))))
    }

    @Test("a served file that cannot be written fails the service before any instance is touched")
    func publishFails() throws {
        let (desired, plan) = try changedPlan()
        var machine = RolloutMachine(plan: plan, desired: desired, options: RolloutOptions())
        _ = machine.start()
        var healthy = ServiceStatus(name: "job-config", desired: .running, state: .running, health: HealthStatus(state: .healthy))
        let config = try #require(desired.instances(of: "job-config").first)
        healthy.release = config.artifact.id
        healthy.revision = config.spec.revision
        _ = machine.handle(.statuses(host: "h1", [healthy]), at: .zero)
        let after = machine.handle(.published(host: "h1", service: "job-manage", error: "disk full"), at: .zero)
        #expect(!after.contains { if case .activate = $0 { true } else { false } })
        #expect(machine.isFinished)
        #expect(machine.result.failures.map(\.reason) == ["writing job-manage.yml for job-manage failed: disk full"])
    }
}
