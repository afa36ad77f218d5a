import Testing
@testable import Shared

@Suite("Names, paths and durations from manifests")
struct SafeNameTests {
    @Test("service names", arguments: [("job-manage", true), ("job-file-worker", true), ("Job", false),
                                       ("job_x", false), ("job-", false), ("-job", false), ("", false), ("job;x", false)])
    func serviceNames(name: String, valid: Bool) {
        #expect(SafeName.isServiceName(name) == valid)
    }

    @Test("paths", arguments: [
        ("/data/bkee", true, nil as String?),
        ("/data/bkee/", true, nil),
        ("data/bkee", true, "absolute"),
        ("/data/../etc", true, ".."),
        ("/data/bk ee", true, "a space"),
        ("/data/$(id)", true, "'$'"),
        ("/data//x", true, "empty"),
        ("backend/job-x/job-x.jar", false, nil),
        ("/backend", false, "relative"),
        ("a/./b", false, "'.'"),
    ])
    func paths(path: String, absolute: Bool, problem: String?) {
        let found = SafeName.pathProblem(path, absolute: absolute)
        if let problem {
            #expect(found?.contains(problem) == true, "\(path): \(found ?? "no problem")")
        } else {
            #expect(found == nil)
        }
    }

    @Test("durations", arguments: [("10s", 10_000), ("500ms", 500), ("2m", 120_000), ("1h", 3_600_000),
                                   ("1.5s", 1500), ("30", 30_000)])
    func durations(text: String, milliseconds: Int64) {
        #expect(DurationText.parse(text) == .milliseconds(milliseconds))
    }

    @Test("not durations", arguments: ["", "soon", "-1s", "10 parsecs"])
    func notDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}
