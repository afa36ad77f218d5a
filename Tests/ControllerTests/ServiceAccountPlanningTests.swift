import Foundation
import Shared
import Testing
@testable import Controller

@Suite("Running services as the fleet's account")
struct ServiceAccountPlanningTests {
    @Test("each spec names the host's run_as account and the catalog's open-files limit, which a manifest limit overrides")
    func specCarriesAccountAndLimit() throws {
        let fixture = try PlanningFixture()
        let desired = try fixture.desired()
        for instance in desired.instances {
            #expect(instance.spec.user == "blueking", "a root login's default")
            #expect(instance.spec.openFiles == 204_800, "upstream's LimitNOFILE")
        }
        let manifest = try fixture.manifest(PlanningFixture.placement)
        var limited = manifest
        limited.openFiles = 65_536
        for index in limited.hosts.indices { limited.hosts[index].runAs = "svc" }
        let other = try DesiredFleet.build(manifest: limited, catalog: fixture.catalog,
                                           env: try EnvFile.load(path: "\(fixture.dir)/job.env"))
        #expect(other.instances.allSatisfy { $0.spec.user == "svc" && $0.spec.openFiles == 65_536 })
        let before = try #require(desired.instances.first)
        let after = try #require(other.instances.first { $0.service == before.service && $0.host.name == before.host.name })
        #expect(before.spec.revision != after.spec.revision, "another account is another revision: the instance restarts")
    }

    @Test("the catalog's limits.nofile, from defaults or the service, sets the limit")
    func catalogLimit() throws {
        let yaml = """
            catalog_version: 1
            defaults:
              limits: { nofile: 100000 }
            services:
              job-config: { jar: backend/job-config/job-config.jar, port: "10500" }
              job-manage:
                jar: backend/job-manage/job-manage.jar
                port: "10505"
                limits: { nofile: 4096 }
            """
        let catalog = try ServiceCatalog.parse(yaml: yaml, path: "catalog.yaml")
        #expect(catalog.service("job-config")?.openFiles == 100_000)
        #expect(catalog.service("job-manage")?.openFiles == 4096)
        let error = try #require(throws: ConfigError.self) {
            try ServiceCatalog.parse(yaml: yaml.replacingOccurrences(of: "nofile: 4096", with: "nofile: lots"), path: "catalog.yaml")
        }
        #expect(error.description.contains("services.job-manage.limits.nofile"), "\(error)")
    }

    @Test("a host whose agent cannot run services as the account is a problem naming host and account; others plan on")
    func missingAccountIsAProblem() throws {
        let fixture = try PlanningFixture()
        let desired = try fixture.desired()
        var observed = PlanningFixture.converged(desired)
        observed[1].accountProblem = "no account 'blueking' in /etc/passwd: create it"
        let plan = Planner.plan(desired: desired, observed: observed)
        #expect(plan.problems.count == 1)
        let problem = try #require(plan.problems.first)
        #expect(problem.hasPrefix("h2 (10.9.0.2:22): services run as blueking here, but no account 'blueking'"), "\(problem)")
        // h3 runs nothing: an account missing there stops nothing.
        observed[1].accountProblem = nil
        observed[2].accountProblem = "no account"
        #expect(Planner.plan(desired: desired, observed: observed).problems.isEmpty)
    }

    @Test("rendered configuration goes to the services' group, other files stay the login user's")
    func uploadGroup() throws {
        let scratch = try UploadFinishTests.Scratch()
        defer { scratch.remove() }
        let group = getgid() == 0 ? "daemon" : String(getgid())
        let temporary = scratch.write(".a.part", "x")
        let item = UploadFinish.Item(temporaryPath: temporary, finalPath: "\(scratch.dir)/a", sha256: Checksum.sha256(Array("x".utf8)),
                                     group: group)
        let (status, stdout) = try UploadFinishTests.run(UploadFinish.command(for: [item]))
        #expect(status == 0 && UploadFinish.parse(stdout, count: 1) == [.placed(sha256: item.sha256)], "\(stdout)")
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(scratch.dir)/a")
        let expected = getgid() == 0 ? 1 : Int(getgid())
        #expect(attributes[.groupOwnerAccountID] as? Int == expected, "daemon is gid 1 on Debian")

        let refused = UploadFinish.Item(temporaryPath: scratch.write(".b.part", "x"), finalPath: "\(scratch.dir)/b",
                                        sha256: item.sha256, group: "no-such-group-jobfleet")
        let (failed, output) = try UploadFinishTests.run(UploadFinish.command(for: [refused]))
        #expect(failed != 0 && UploadFinish.parse(output, count: 1) == [.groupFailed], "\(output)")
        #expect(!scratch.exists("b") && !scratch.exists(".b.part"), "nothing placed, the temporary file removed")
    }
}
