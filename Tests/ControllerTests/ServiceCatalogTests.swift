import Foundation
import Testing
@testable import Controller

@Suite("Service catalog")
struct ServiceCatalogTests {
    static let yaml = """
        catalog_version: 1
        project: job
        runbook: [job-config, job-manage]
        defaults:
          java_opts: ["-Xmx96m"]
          stop_timeout: 30s
          health:
            http: { path: /actuator/health, user: __USER__, password: __PASSWORD__ }
            interval: 5s
        services:
          job-config:
            jar: backend/job-config/job-config.jar
            port: "__BK_JOB_CONFIG_SERVER_PORT__"
            config: { template: support-files/templates/application-config.yml, dest: etc/job/application-config.yml }
            java_opts: ["-Djob.log.dir=__BK_HOME__/logs/job"]
          job-manage:
            jar: backend/job-manage/job-manage.jar
            port: "10505"
            depends_on: [job-config]
            health: { interval: 2s, tcp: true }
        """

    @Test("services inherit defaults and override them field by field")
    func defaultsMerge() throws {
        let catalog = try ServiceCatalog.parse(yaml: Self.yaml, path: "catalog.yaml")
        #expect(catalog.runbook == ["job-config", "job-manage"])
        let config = try #require(catalog.service("job-config"))
        #expect(config.javaOptions == ["-Xmx96m", "-Djob.log.dir=__BK_HOME__/logs/job"])
        #expect(config.stopTimeout == .seconds(30))
        #expect(config.startTimeout == .seconds(180))
        #expect(config.health.check == .http(path: "/actuator/health", port: nil, user: "__USER__",
                                             password: "__PASSWORD__", expectStatus: 200))
        #expect(config.configs == [.init(template: "support-files/templates/application-config.yml",
                                         dest: "etc/job/application-config.yml")])
        let manage = try #require(catalog.service("job-manage"))
        #expect(manage.health.check == .tcp(port: nil))
        #expect(manage.health.interval == .seconds(2))
        #expect(manage.dependsOn == ["job-config"])
    }

    @Test("unknown dependencies, cycles, unsafe paths and unknown runbook entries are all reported")
    func rejectsBadCatalog() throws {
        let yaml = """
            catalog_version: 1
            runbook: [job-a, job-zz]
            services:
              job-a:
                jar: ../evil.jar
                port: "1"
                depends_on: [job-b]
              job-b:
                jar: backend/job-b/job-b.jar
                port: "2"
                depends_on: [job-a, job-nope]
            """
        let error = try #require(throws: ConfigError.self) { try ServiceCatalog.parse(yaml: yaml, path: "c.yaml") }
        let text = error.description
        #expect(text.contains("c.yaml:5"), "\(text)")
        #expect(text.contains("'..'"))
        #expect(text.contains("'job-nope', which is not in services"))
        #expect(text.contains("cycle: job-a → job-b → job-a"))
        #expect(text.contains("runbook[1]: names 'job-zz'"))
    }

    @Test("a catalog from a newer JobFleet is refused with what to do")
    func newerVersion() throws {
        let error = try #require(throws: ConfigError.self) {
            try ServiceCatalog.parse(yaml: "catalog_version: 2\nservices: {}\n", path: "c.yaml")
        }
        #expect(error.description.contains("upgrade jobfleet"))
    }

    @Test("dependency levels put job-config first")
    func levels() throws {
        let catalog = try ServiceCatalog.parse(yaml: Self.yaml, path: "catalog.yaml")
        #expect(DependencyOrder.levels(of: ["job-manage", "job-config"], in: catalog.services)
                == [["job-config"], ["job-manage"]])
    }
}

@Suite("The shipped bk-job catalog")
struct ShippedCatalogTests {
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    @Test("loads, has the eleven services in the runbook order, all depending on job-config")
    func shippedCatalog() throws {
        let catalog = try ServiceCatalog.load(path: "\(Self.repoRoot)/deploy/bk-job/catalog.yaml")
        #expect(catalog.runbook == [
            "job-config", "job-manage", "job-backup", "job-logsvr", "job-ticket", "job-file-gateway",
            "job-execute", "job-crontab", "job-gateway", "job-file-worker", "job-analysis",
        ])
        #expect(catalog.services.count == 11)
        for service in catalog.services where service.name != "job-config" {
            #expect(service.dependsOn.contains("job-config"), "\(service.name)")
        }
        for service in catalog.services {
            #expect(service.javaOptions.contains("-Djob.log.dir=__BK_HOME__/logs/job"), "\(service.name)")
        }
    }

    @Test("every placeholder of the catalog has a value in the example env or is a built-in")
    func exampleEnvCoversCatalog() throws {
        let env = try EnvFile.load(path: "\(Self.repoRoot)/deploy/bk-job/job.env.example")
        let text = try String(contentsOfFile: "\(Self.repoRoot)/deploy/bk-job/catalog.yaml", encoding: .utf8)
        let keys = Set(Template(file: "catalog.yaml", text: text).placeholders.map(\.key))
        let missing = keys.subtracting(env.values.keys).subtracting(EnvFile.perHostKeys).subtracting(["BK_JOB_CONFIG_SERVERS"])
        #expect(missing.isEmpty, "\(missing)")
    }
}
