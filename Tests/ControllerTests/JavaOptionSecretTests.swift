import Foundation
import Testing
@testable import Controller

/// JVM options end up on the process's command line, which every local user reads with `ps`:
/// a secret placeholder there is refused before any host is contacted.
@Suite("Secrets in JVM options")
struct JavaOptionSecretTests {
    /// The issues `build` reports, or none when it succeeds.
    func issues(_ build: () throws -> DesiredFleet) -> [ConfigIssue] {
        do { _ = try build(); return [] } catch let error as ConfigError { return error.issues } catch { return [] }
    }

    /// 1-based line of the first line of `file` containing `text`, after the first containing `after`.
    func line(of text: String, in file: String, after: String = "") throws -> Int {
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { after.isEmpty || $0.contains(after) })
        return try #require(lines[start...].firstIndex { $0.contains(text) }) + 1
    }

    @Test("a catalog's java_opts holding a secret placeholder is refused with the catalog's line, the service and the key")
    func catalogOption() throws {
        let fixture = try PlanningFixture()
        let path = "\(fixture.dir)/catalog.yaml"
        let yaml = try String(contentsOfFile: path, encoding: .utf8)
        try yaml.replacing("java_opts: [\"-Djob.log.dir=__BK_HOME__/logs/job\"]",
                           with: "java_opts: [\"-Djob.log.dir=__BK_HOME__/logs/job\", \"-Ddb.password=__PASS_PASSWORD__\"]")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let catalog = try ServiceCatalog.load(path: path)
        let found = issues { try DesiredFleet.build(manifest: try fixture.manifest(PlanningFixture.placement), catalog: catalog,
                                                    env: try EnvFile.load(path: "\(fixture.dir)/job.env")) }
        let manage = try #require(found.first { $0.field.contains("job-manage") }, "\(found)")
        #expect(manage.file == path)
        #expect(manage.line == (try line(of: "-Ddb.password", in: path, after: "  job-manage:")))
        #expect(manage.field == "services.job-manage.java_opts")
        #expect(manage.message.contains("PASS_PASSWORD") && manage.message.contains("ps"), "\(manage)")
        #expect(found.count == 3, "one per service: \(found)")
    }

    @Test("release.java_opts holding a key release.secret_keys names is refused with the manifest's line")
    func manifestOption() throws {
        let fixture = try PlanningFixture()
        try PlanningFixture.write("\(fixture.dir)/job.env", "PORT_CONFIG=10500\nPORT_MANAGE=10505\nPORT_EXECUTE=10502\nDB_PASS=x9y8z7\n")
        let manifest = try FleetManifest.parse(yaml: """
            name: test
            hosts:
              - { name: h1, address: 10.9.0.1 }
            release:
              dir: release
              env: job.env
              secret_keys: [DB_PASS]
              java_opts: ["-Xmx96m", "-Ddb.pass=__DB_PASS__"]
            catalog: catalog.yaml
            services:
              job-config: [h1]
            """, path: "\(fixture.dir)/fleet.yaml")
        let found = issues { try DesiredFleet.build(manifest: manifest, catalog: fixture.catalog,
                                                    env: try EnvFile.load(path: "\(fixture.dir)/job.env")) }
        #expect(found.count == 1, "\(found)")
        let issue = try #require(found.first)
        #expect(issue.file == "\(fixture.dir)/fleet.yaml" && issue.line == 8 && issue.field == "release.java_opts")
        #expect(issue.description == "\(fixture.dir)/fleet.yaml:8: release.java_opts: '-Ddb.pass=__DB_PASS__' puts secret "
                + "DB_PASS on job-config's command line, where every user of the host can read it (ps); pass it through "
                + "a configuration template, or the service's env in the catalog, instead")
    }

    @Test("a #job#deploy.yml whose args hold a secret placeholder is refused with that file, its line and the service")
    func deployFileArgs() throws {
        let fixture = try UpstreamFixture()
        let deployFile = "\(fixture.dir)/job/support-files/templates/#job#deploy.yml"
        let text = try String(contentsOfFile: deployFile, encoding: .utf8)
        try text.replacing("-Dspring.profiles.active=prod ", with: "-Dspring.profiles.active=prod -Djob.pw=__BK_JOB_MANAGE_MYSQL_PASSWORD__ ")
            .write(toFile: deployFile, atomically: true, encoding: .utf8)
        let found = issues { try fixture.desired(try fixture.manifest()) }
        let issue = try #require(found.first, "nothing refused")
        #expect(found.count == 1, "\(found)")
        #expect(issue.file == deployFile)
        #expect(issue.line == (try line(of: "-Djob.pw", in: deployFile)))
        #expect(issue.message.contains("job-manage") && issue.message.contains("BK_JOB_MANAGE_MYSQL_PASSWORD"), "\(issue)")
    }

    @Test("ordinary placeholders in JVM options are rendered as before")
    func ordinaryOptions() throws {
        let fixture = try PlanningFixture()
        let desired = try fixture.desired()
        let manage = try #require(desired.instances(of: "job-manage").first)
        #expect(manage.spec.command.contains("-Djob.log.dir=/data/bkee/logs/job"))
    }
}
