import Foundation
import Shared
import Testing
@testable import Controller

/// Health and log files in the per-line catalogs: anonymous probes that want `"status":"UP"`,
/// and each service's log named as bk-job's logback configuration names it.
@Suite("Health and logs as upstream")
struct UpstreamHealthCatalogTests {
    static let lines: [(version: String, mode: String)] = [("3.3.8", "stable"), ("3.7.4", "stable"), ("3.12.3", "stable"), ("3.12.3", "lite")]

    func catalog(_ version: String, _ mode: String) throws -> ServiceCatalog {
        try ServiceCatalog.load(path: UpstreamFixture.catalogs, version: version, mode: mode, manifest: "fleet.yaml")
    }

    @Test("every per-line probe is anonymous and wants the body to say UP")
    func anonymousBodyChecks() throws {
        for (version, mode) in Self.lines {
            for service in try catalog(version, mode).services {
                guard case let .http(_, _, user, password, status, body) = service.health.check else {
                    Issue.record("\(version) \(service.name) has no HTTP check")
                    continue
                }
                #expect(user == nil && password == nil, "\(version) \(service.name) sends a login")
                #expect(status == 200 && body == "UP", "\(version) \(service.name)")
            }
        }
    }

    @Test("job-gateway is probed on its management port from 3.8")
    func gatewayManagementPort() throws {
        let gateway = try #require(try catalog("3.12.3", "stable").service("job-gateway"))
        guard case let .http(_, port, _, _, _, _) = gateway.health.check else { Issue.record("no HTTP check"); return }
        #expect(port == "__BK_JOB_GATEWAY_SERVER_MANAGEMENT_PORT__")
    }

    @Test(arguments: [
        ("3.3.8", "stable", "job-ticket", "job-ticket/ticket.log"),
        ("3.3.8", "stable", "job-manage", "job-manage/manage.log"),
        ("3.7.4", "stable", "job-config", "job-config/config.log"),
        ("3.12.3", "stable", "job-file-gateway", "job-file-gateway/gateway.log"),
        ("3.12.3", "stable", "job-file-worker", "job-file-worker/worker.log"),
        ("3.12.3", "stable", "job-gateway", "job-gateway/gateway.log"),
        ("3.12.3", "lite", "job-assemble", "job-assemble/job.log"),
    ])
    func logFiles(version: String, mode: String, service: String, file: String) throws {
        let definition = try #require(try catalog(version, mode).service(service))
        #expect(definition.logFileOrDefault == file)
    }

    @Test("every per-line service names its log; the project's own layout keeps <svc>/<svc>.log")
    func everyServiceNamesItsLog() throws {
        for (version, mode) in Self.lines {
            for service in try catalog(version, mode).services {
                #expect(service.logFile?.hasPrefix("\(service.name)/") == true, "\(version) \(service.name)")
            }
        }
        let legacy = try ServiceCatalog.load(path: "\(ShippedCatalogTests.repoRoot)/deploy/bk-job/catalog.yaml")
        #expect(legacy.service("job-manage")?.logFileOrDefault == "job-manage/job-manage.log")
    }

    @Test("the spec carries the log file under BK_HOME and the body check")
    func spec() throws {
        let fixture = try UpstreamFixture()
        let desired = try fixture.desired(try fixture.manifest())
        let manage = try #require(desired.instances(on: "h3").first { $0.service == "job-manage" })
        #expect(manage.spec.logFile == "/srv/bkee/logs/job/job-manage/manage.log")
        #expect(manage.spec.errorLogFile == nil, "error.log beside the main log is the agent's default")
        guard case .http(let probe) = manage.spec.health?.probe else { Issue.record("no HTTP probe"); return }
        #expect(probe.expectBodyStatus == "UP" && probe.user == nil)
    }

    @Test("expect_body_status must be a status word; error_log is read")
    func parsing() throws {
        let base = """
            catalog_version: 1
            project: job
            services:
              job-config:
                jar: backend/job-config/job-config.jar
                port: "10500"
                log_file: job-config/config.log
                error_log: job-config/errors.log
            """
        #expect {
            try ServiceCatalog.parse(yaml: base + "\n    health: { http: { path: /h, expect_body_status: \"up now\" } }\n", path: "c.yaml")
        } throws: { "\($0)".contains("must be a status word such as UP") }
        let catalog = try ServiceCatalog.parse(yaml: base, path: "c.yaml")
        #expect(catalog.service("job-config")?.errorLog == "job-config/errors.log")
    }
}
