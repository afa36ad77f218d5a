import ArgumentParser
import Foundation
import Testing
@testable import Controller

@Suite("Loading a fleet")
struct LoadedFleetTests {
    let fixture: PlanningFixture
    let path: String

    init() throws {
        fixture = try PlanningFixture()
        path = "\(fixture.dir)/fleet.yaml"
        try Self.manifest(catalog: "catalog: catalog.yaml").write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func manifest(catalog: String) -> String {
        """
        name: test
        ssh: { forks: 2 }
        hosts:
          - { name: h1, address: 10.9.0.1 }
          - { name: h2, address: 10.9.0.2 }
          - { name: h3, address: 10.9.0.3 }
        release: { dir: release, env: job.env }
        \(catalog)
        services:
        \(PlanningFixture.placement)
        """
    }

    @Test("the manifest is read with --forks applied, and --hosts selects in manifest order")
    func manifestAndSelection() throws {
        let loaded = try LoadedManifest.load(path: path, forks: 7, hostNames: ["h3", "h1"])
        #expect(loaded.manifest.ssh.forks == 7)
        #expect(try loaded.selectedHosts().map(\.name) == ["h1", "h3"])
        #expect(try LoadedManifest.load(path: path).selectedHosts().map(\.name) == ["h1", "h2", "h3"])
        #expect(try LoadedManifest.load(path: path).manifest.ssh.forks == 2)
    }

    @Test("a --hosts name the manifest lacks is a usage error listing the hosts it has")
    func unknownHost() throws {
        let loaded = try LoadedManifest.load(path: path, hostNames: ["h1", "h9"])
        let error = try #require(#expect(throws: UsageError.self) { try loaded.selectedHosts() })
        #expect(error.message == "--hosts: h9 not in \(path); hosts are: h1, h2, h3")
    }

    @Test("the fleet is built from the catalog and env file the manifest names")
    func fleet() throws {
        let fleet = try LoadedFleet.load(LoadedManifest.load(path: path), services: ["job-manage"], checksums: ChecksumCache())
        #expect(fleet.catalog.services.map(\.name) == ["job-config", "job-manage", "job-execute"])
        #expect(fleet.desired.instances.map(\.label).sorted() == [
            "job-config@h1", "job-execute@h1", "job-execute@h2", "job-manage@h1", "job-manage@h2",
        ])
    }

    @Test("several env files in order with upstream's forms; undefined: empty renders a placeholder without a value empty and warns once per key")
    func envFilesInOrder() throws {
        try PlanningFixture.write("\(fixture.dir)/global.env", "BK_HOME=/data/bkee\nPORT_BASE=105\n")
        // job-manage's template needs a key no env file sets.
        let template = "\(fixture.dir)/release/support-files/templates/application-manage.yml"
        try PlanningFixture.write(template, "server:\n  port: __PORT_MANAGE__\n  domain: '__BK_DOMAIN__'\n  logs: __LOG_DIR__\n")
        try PlanningFixture.write("\(fixture.dir)/job.env", "BK_HOME=\nPORT_CONFIG=${PORT_BASE}00\nPORT_MANAGE=${PORT_BASE}05\nPORT_EXECUTE=10502\nLOG_DIR=$BK_HOME/logs/job\n")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let listed = text.replacingOccurrences(of: "env: job.env", with: "env: [global.env, job.env]")
        try listed.write(toFile: path, atomically: true, encoding: .utf8)

        let strict = try #require(#expect(throws: ConfigError.self) {
            try LoadedFleet.load(LoadedManifest.load(path: path), checksums: ChecksumCache())
        })
        #expect(strict.description == "\(template):3: BK_DOMAIN: has no value: add BK_DOMAIN=… to the env file")

        try listed.replacingOccurrences(of: "env: [global.env, job.env]", with: "env: [global.env, job.env], undefined: empty")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let fleet = try LoadedFleet.load(LoadedManifest.load(path: path), checksums: ChecksumCache())
        #expect(fleet.desired.warnings.map(\.description) == [
            "\(fixture.dir)/global.env:1: BK_HOME: is ignored: jobfleet sets BK_HOME for each host (hosts[].bk_home (or bk_home) in the manifest)",
            "\(template):3: BK_DOMAIN: has no value in the env files; rendered empty (release.undefined: empty)",
        ])
        let manage = try #require(fleet.desired.instances.first { $0.label == "job-manage@h2" })
        let rendered = String(decoding: try #require(manage.files.first).content, as: UTF8.self)
        #expect(rendered == "server:\n  port: 10505\n  domain: ''\n  logs: \(manage.host.bkHome)/logs/job\n")
        let config = try #require(fleet.desired.instances.first(where: { $0.service == "job-config" })?.files.first)
        #expect(String(decoding: config.content, as: UTF8.self).contains("port: 10500\n"))
    }

    @Test("release.dir as upstream's tarball: jars and templates come from its cache entry, the version is on the fleet and every spec, and revisions are those of the same release as a folder")
    func tarball() throws {
        let folder = try LoadedFleet.load(LoadedManifest.load(path: path), checksums: ChecksumCache())
        #expect(folder.release == ResolvedRelease(root: "\(fixture.dir)/release", version: nil))
        try FileManager.default.createDirectory(atPath: "\(fixture.dir)/pkg", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(fixture.dir)/release", toPath: "\(fixture.dir)/pkg/job")
        try PlanningFixture.write("\(fixture.dir)/pkg/job/VERSION", "3.12.3\n")
        try TarBuilder.run("/usr/bin/tar", ["-czf", "\(fixture.dir)/job_ce-3.12.3.tgz", "-C", "\(fixture.dir)/pkg", "job"])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "dir: release", with: "dir: job_ce-3.12.3.tgz").write(toFile: path, atomically: true, encoding: .utf8)

        let cache = ReleaseCache(directory: "\(fixture.dir)/cache")
        let fleet = try LoadedFleet.load(LoadedManifest.load(path: path), checksums: ChecksumCache(), releases: cache)
        let release = try #require(fleet.release)
        #expect(release.tarball == "\(fixture.dir)/job_ce-3.12.3.tgz")
        #expect(release.root == "\(cache.directory)/\(try #require(release.sha256))/job")
        #expect(fleet.manifest.release?.dir == "\(fixture.dir)/job_ce-3.12.3.tgz")
        #expect(fleet.desired.version == "3.12.3")
        #expect(fleet.desired.instances.allSatisfy { $0.spec.version == "3.12.3" })
        #expect(fleet.desired.instances.allSatisfy { $0.artifact.localPath.hasPrefix(release.root + "/backend/") })
        #expect(fleet.desired.instances.map(\.spec.revision) == folder.desired.instances.map(\.spec.revision))
        #expect(fleet.desired.instances.map(\.artifact.id) == folder.desired.instances.map(\.artifact.id))
    }

    @Test("a release.dir that is not a release stops loading with the manifest's line, exit status 64")
    func badRelease() throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "dir: release", with: "dir: nowhere").write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(#expect(throws: ConfigError.self) {
            try LoadedFleet.load(LoadedManifest.load(path: path), checksums: ChecksumCache())
        })
        #expect(error.description.hasPrefix("\(path):7: release.dir: \(fixture.dir)/nowhere: does not exist"))
    }

    @Test("a service the catalog lacks is a usage error naming the catalog and its services")
    func unknownService() throws {
        let input = try LoadedManifest.load(path: path)
        let error = try #require(#expect(throws: UsageError.self) {
            try LoadedFleet.load(input, services: ["job-config", "job-nope"], checksums: ChecksumCache())
        })
        #expect(error.message == "unknown service 'job-nope'; services in \(fixture.dir)/catalog.yaml: job-config, job-manage, job-execute")
    }

    @Test("a manifest without a catalog is a configuration error on that field")
    func missingCatalog() throws {
        try Self.manifest(catalog: "").write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(#expect(throws: ConfigError.self) {
            try LoadedFleet.load(LoadedManifest.load(path: path), checksums: ChecksumCache())
        })
        #expect(error.description.hasPrefix("\(path): catalog: is required"))
    }

    @Test("a broken manifest is a configuration error with its line, before anything else is read")
    func brokenManifest() throws {
        try "name: test\nhostz: []\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(#expect(throws: ConfigError.self) { try LoadedManifest.load(path: path) })
        #expect(error.description.contains("\(path):2"))
    }

    @Test("each error a command throws ends with its exit status", arguments: [
        (ConfigError(issues: [ConfigIssue(file: "f.yaml", line: 2, field: "hosts", message: "bad")]) as any Error, ExitCodes.invalidInput),
        (UsageError(message: "no such host"), ExitCodes.invalidInput),
        (LeaseHeld(host: "h1", holder: nil), ExitCodes.leaseHeld),
        (CommandFailure(message: "a host is unreachable"), ExitCodes.failed),
        (ExitCode(ExitCodes.changesPending), ExitCodes.changesPending),
    ])
    func exitStatus(error: any Error, status: Int32) {
        #expect((ExitCodes.settle(error) as? ExitCode)?.rawValue == status)
    }

    @Test("an error the CLI does not know is left for ArgumentParser to report")
    func unknownError() {
        #expect(ExitCodes.settle(CancellationError()) is CancellationError)
    }
}
