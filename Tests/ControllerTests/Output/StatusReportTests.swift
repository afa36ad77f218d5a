import Foundation
import Shared
import Testing
@testable import Controller

@Suite("Status report")
struct StatusReportTests {
    struct Unreachable: Error, CustomStringConvertible {
        var description: String { "h2 (10.9.0.2:22): connection refused" }
    }

    /// h1 answers, running job-config on release 3.12.3 and job-manage still on 3.12.2; h2 does not answer.
    func report(lease: LeaseInfo? = nil, at: Date = Date()) throws -> StatusReport {
        let fixture = try PlanningFixture()
        let desired = try fixture.desired()
        var services: [ServiceStatus] = []
        for (service, version) in [("job-config", "3.12.3"), ("job-manage", "3.12.2"), ("job-execute", nil)] {
            var status = ServiceStatus(name: service, desired: .running, state: .running, health: HealthStatus(state: .healthy))
            if service == "job-execute" {
                status.health = HealthStatus(state: .unhealthy, lastError: #"GET /actuator/health answered 200 but reports "status":"OUT_OF_SERVICE", expected "UP""#)
            }
            status.release = desired.instances.first { $0.service == service }?.artifact.id
            status.version = version
            status.pid = 100
            services.append(status)
        }
        let answer = StatusResult(agent: AgentInfo(version: "0.1.0", protocolVersions: [1], pid: 1, startedAt: Date(), bkHome: "/data/bkee"),
                                  at: at, lease: lease, services: services)
        return StatusReport.build(desired: desired, statuses: ["h1": .success(answer), "h2": .failure(Unreachable())])
    }

    @Test("each instance shows the release version its process runs, '-' when unknown")
    func text() throws {
        let lines = try report().text().split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(lines[0] == ["SERVICE", "HOST", "STATE", "HEALTH", "RELEASE", "VERSION", "PID", "UPTIME", "RESTARTS", "RSS"])
        let versions = Dictionary(lines.dropFirst().prefix(5).map { ("\($0[0])@\($0[1])", $0[5]) }, uniquingKeysWith: { a, _ in a })
        #expect(versions["job-config@h1"] == "3.12.3")
        #expect(versions["job-manage@h1"] == "3.12.2")
        #expect(versions["job-execute@h1"] == "-")
        #expect(versions["job-manage@h2"] == "-")
    }

    @Test("an unhealthy instance says why its last probe failed, in text and JSON")
    func healthError() throws {
        let report = try report()
        #expect(report.text().contains(#"job-execute@h1 unhealthy: GET /actuator/health answered 200 but reports "status":"OUT_OF_SERVICE", expected "UP""#))
        let execute = try #require(report.rows.first { $0.service == "job-execute" && $0.host == "h1" })
        #expect(String(decoding: try Console.jsonEncoder().encode(execute), as: UTF8.self).contains(#""health_error":"#))
        let config = try #require(report.rows.first { $0.service == "job-config" && $0.host == "h1" })
        #expect(config.healthError == nil)
    }

    @Test("JSON rows carry the version, null when unknown")
    func json() throws {
        let rows = try report().rows
        let encoder = Console.jsonEncoder()
        let config = try #require(rows.first { $0.service == "job-config" && $0.host == "h1" })
        #expect(String(decoding: try encoder.encode(config), as: UTF8.self).contains(#""version":"3.12.3""#))
        let unreached = try #require(rows.first { $0.host == "h2" })
        #expect(unreached.state == "unreachable")
        #expect(String(decoding: try encoder.encode(unreached), as: UTF8.self).contains(#""version":null"#))
    }

    @Test("a host's lease shows who holds it and since when, in text and in each of its JSON rows")
    func lease() throws {
        let since = Date(timeIntervalSince1970: 1_800_000_000)
        let owner = "alice@bastion jobfleet deploy prod pid 42 run 0123456789abcdef0123456789abcdef@1a2b3c4d"
        let report = try report(lease: LeaseInfo(owner: owner, token: 5, acquiredAt: since, expiresAt: since + 120), at: since + 65)
        let lines = report.text().split(separator: "\n").map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("HOST") && $0.contains("LEASE HELD BY") })
        #expect(lines[header].split(separator: " ", omittingEmptySubsequences: true) == ["HOST", "LEASE", "HELD", "BY", "SINCE", "FOR"])
        #expect(lines[header + 1].hasPrefix("h1    \(owner)  \(Format.rfc3339(since))  1m05s"), "\(lines[header + 1])")
        let row = try #require(report.rows.first { $0.host == "h1" })
        let json = String(decoding: try Console.jsonEncoder().encode(row), as: UTF8.self)
        #expect(json.contains(#""lease_holder":"alice@bastion jobfleet deploy prod"#) && json.contains(#""lease_since":"2027-01-15T08:00:00.000Z""#), "\(json)")
        let free = try #require(try self.report().rows.first { $0.host == "h1" })
        #expect(!String(decoding: try Console.jsonEncoder().encode(free), as: UTF8.self).contains("lease_"))
        #expect(!(try self.report().text().contains("LEASE HELD BY")))
    }
}
