import Foundation
import Shared
import Testing
@testable import Controller

@Suite("Plan output: the release in the header and in JSON")
struct PlanOutputTests {
    static let tarball = ResolvedRelease(root: "/cache/1a2b3c4d5e/job", version: "3.12.3", tarball: "/rel/job_ce-3.12.3.tgz",
                                         sha256: "1a2b3c4d5e6f" + String(repeating: "0", count: 52))

    @Test("the header names the release: version, tarball and digest, or the folder", arguments: [
        (tarball, "Plan for fleet test: 3 host(s), order fast, release 3.12.3 (job_ce-3.12.3.tgz, sha256 1a2b3c4d…)"),
        (ResolvedRelease(root: "/rel/job", version: "3.12.3"), "Plan for fleet test: 3 host(s), order fast, release 3.12.3 (/rel/job)"),
        (ResolvedRelease(root: "/rel", version: nil), "Plan for fleet test: 3 host(s), order fast, release with no VERSION (/rel)"),
    ])
    func header(release: ResolvedRelease, line: String) throws {
        let fixture = try PlanningFixture()
        let desired = try fixture.desired()
        let text = PlanText.render(Planner.plan(desired: desired, observed: []), fleet: "test", mask: desired.mask, release: release)
        #expect(text.split(separator: "\n").first.map(String.init) == line)
    }

    @Test("--json carries the release and, per host, uploads, files, starts and stops")
    func json() throws {
        let fixture = try PlanningFixture()
        let before = try fixture.desired()
        try PlanningFixture.write("\(fixture.dir)/release/backend/job-manage/job-manage.jar", "jar of job-manage v2")
        let changed = try fixture.desired("  job-config: [h1]\n  job-manage: [h1, h2]\n")
        let plan = Planner.plan(desired: changed, observed: PlanningFixture.converged(before), unreached: ["h3": "connection refused"])
        let encoder = Console.jsonEncoder(snakeCase: true)
        let object = try #require(try JSONSerialization.jsonObject(with: encoder.encode(PlanJSON(plan, fleet: "test", release: Self.tarball)))
                                  as? [String: Any])
        let release = try #require(object["release"] as? [String: Any])
        #expect(release["version"] as? String == "3.12.3")
        #expect(release["tarball"] as? String == "/rel/job_ce-3.12.3.tgz")
        #expect((release["sha256"] as? String)?.hasPrefix("1a2b3c4d") == true)
        #expect(object["has_changes"] as? Bool == true)
        let hosts = try #require(object["hosts"] as? [[String: Any]])
        #expect(hosts.map { $0["host"] as? String } == ["h1", "h2", "h3"])
        let h1 = hosts[0]
        #expect((h1["uploads"] as? [[String: Any]])?.map { $0["service"] as? String } == ["job-manage"])
        #expect((h1["changes"] as? [[String: Any]])?.map { $0["action"] as? String } == ["restart"])
        #expect(h1["stops"] as? [String] == ["job-execute"])
        #expect(hosts[2]["reached"] as? Bool == false && hosts[2]["not_reached"] as? String == "connection refused")
        #expect(object["waves"] as? [[String]] == [["job-manage"]])
        #expect((object["summary"] as? String)?.hasPrefix("2 upload(s)") == true)
        let folder = PlanJSON(plan, fleet: "test", release: ResolvedRelease(root: "/rel", version: nil))
        #expect(String(decoding: try encoder.encode(folder.release), as: UTF8.self)
                == #"{"root":"/rel","sha256":null,"tarball":null,"version":null}"#)
    }
}
