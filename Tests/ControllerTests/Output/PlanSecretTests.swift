import Foundation
import Testing
@testable import Controller

/// What `plan` shows of a host's existing configuration file when the template behind it holds
/// secrets: the host side of a secret setting never appears, whatever shape the host file has.
@Suite("Plan diffs: no host-side value of a secret setting")
struct PlanSecretTests {
    /// job-manage's template: a secret whose key and YAML name say nothing of a password (so
    /// only the template tells), next to ordinary settings.
    static let template = """
        server:
          port: __PORT_MANAGE__
        redis:
          host: __REDIS_HOST__
          pass: __BK_JOB_REDIS_PASSWORD__
          db: 0

        """

    static let env = "PORT_CONFIG=10500\nPORT_MANAGE=10505\nPORT_EXECUTE=10502\nREDIS_HOST=10.0.0.5\n"
        + "BK_JOB_REDIS_PASSWORD=n3w-redis-pw\n"

    /// `plan`'s text when h1's job-manage configuration holds `hostFile`.
    func planText(hostFile: String) throws -> String {
        let fixture = try PlanningFixture()
        try PlanningFixture.write("\(fixture.dir)/release/support-files/templates/application-manage.yml", Self.template)
        try PlanningFixture.write("\(fixture.dir)/job.env", Self.env)
        let desired = try fixture.desired()
        var observed = PlanningFixture.converged(desired)
        let path = "/data/bkee/etc/job/application-manage.yml"
        #expect(observed[0].host.name == "h1" && observed[0].files[path] != nil)
        observed[0].files[path] = String(repeating: "0", count: 64)
        observed[0].fileContents[path] = Array(hostFile.utf8)
        return PlanText.render(Planner.plan(desired: desired, observed: observed), fleet: "test", mask: desired.mask)
    }

    @Test("a rotated secret on a line the host file has elsewhere is hidden: the template says the setting is secret")
    func secretLineOutOfPlace() throws {
        let text = try planText(hostFile: "server:\n  port: 10505\nredis:\n  pass: 0ld-redis-pw\n  host: 10.0.0.5\n  db: 0\n")
        #expect(!text.contains("0ld-redis-pw"), "\(text)")
        #expect(!text.contains("n3w-redis-pw"), "\(text)")
        #expect(text.contains("- <secret changed>") && text.contains("+ <secret changed>"), "\(text)")
    }

    @Test("a hand-installed file: a line the template does not have is not shown, lines of ordinary settings are")
    func hostOnlyLines() throws {
        let text = try planText(hostFile: """
            server:
              port: 10400
            redis:
              host: 10.0.0.5
              pass: hand-set-redis-pw
              db: 0
              sentinel-nodes: 10.0.0.7:26379,admin:s3ntinel-pw

            """)
        for leaked in ["hand-set-redis-pw", "s3ntinel-pw", "sentinel-nodes"] {
            #expect(!text.contains(leaked), "\(text)")
        }
        #expect(text.contains("-   port: 10400") && text.contains("+   port: 10505"), "\(text)")
        #expect(text.contains("- <host line hidden: not from the template>"), "\(text)")
    }

    @Test("a managed file that is a symbolic link on a host is a problem naming host and path, and stops a deploy")
    func symlinkIsAProblem() throws {
        let fixture = try PlanningFixture()
        let desired = try fixture.desired()
        var observed = PlanningFixture.converged(desired)
        let path = "/data/bkee/etc/job/application-manage.yml"
        observed[1].files[path] = nil
        observed[1].symlinks = [path]
        let plan = Planner.plan(desired: desired, observed: observed)
        let h2 = try #require(plan.hosts.first { $0.host.name == "h2" })
        #expect(h2.symlinks == [path])
        #expect(plan.problems.count == 1, "\(plan.problems)")
        let problem = try #require(plan.problems.first)
        #expect(problem.hasPrefix("h2 (10.9.0.2:22): \(path) is a symbolic link") && problem.contains("rm \(path)"), "\(problem)")
        let text = PlanText.render(plan, fleet: "test", mask: desired.mask)
        #expect(text.contains("  CANNOT  \(path) is a symbolic link"), "\(text)")
        let json = String(decoding: try Console.jsonEncoder(snakeCase: true).encode(PlanJSON(plan, fleet: "test", release: nil)),
                          as: UTF8.self)
        #expect(json.contains("is a symbolic link"), "\(json)")
    }

    @Test("--json leaves file contents out: neither the host's old secret nor the new one is in it")
    func jsonHasNoContents() throws {
        let fixture = try PlanningFixture()
        try PlanningFixture.write("\(fixture.dir)/release/support-files/templates/application-manage.yml", Self.template)
        try PlanningFixture.write("\(fixture.dir)/job.env", Self.env)
        let desired = try fixture.desired()
        var observed = PlanningFixture.converged(desired)
        let path = "/data/bkee/etc/job/application-manage.yml"
        observed[0].files[path] = String(repeating: "0", count: 64)
        observed[0].fileContents[path] = Array("redis:\n  pass: 0ld-redis-pw\n".utf8)
        let plan = Planner.plan(desired: desired, observed: observed)
        let json = String(decoding: try Console.jsonEncoder(snakeCase: true).encode(PlanJSON(plan, fleet: "test", release: nil)),
                          as: UTF8.self)
        #expect(json.contains("application-manage.yml"))
        #expect(!json.contains("0ld-redis-pw") && !json.contains("n3w-redis-pw"), "\(json)")
    }
}
