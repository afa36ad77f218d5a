import Foundation
import Shared
import Testing
import TestSupport

/// Stand-in releases shaped like upstream's tarballs, one per version line, deployed with the
/// shipped catalogs (chosen from VERSION) onto one sandbox, in the order an operator upgrades.
@Suite("Upstream-shaped releases on the sandbox", .serialized,
       .sandbox("upstream", network: "127.0.8", hosts: 3, arguments: ["--bk-job", "3.12.3"]))
struct UpstreamReleaseDeployTests {
    let fleet: ControllerFleet

    init() throws {
        fleet = try ControllerFleet(attach: "upstream", network: "127.0.8")
    }

    /// Builds the stand-in tarball of `version` (once) and writes a manifest deploying it.
    func manifest(_ version: String, mode: String = "stable", placement: [(String, [String])],
                  extraEnv: String? = nil) throws -> String {
        let releases = "\(fleet.sandbox.dir)/releases"
        let tarball = "\(releases)/job_ce-\(version).tgz"
        if !FileManager.default.fileExists(atPath: tarball) {
            let built = try Command.run("/bin/bash", ["\(Sandbox.repoRoot)/deploy/standin/build", "--bk-job", version,
                                                      "--out", releases, "--quiet"])
            guard built.succeeded else { throw SandboxError(message: "building \(version) failed: \(built.stderr)") }
        }
        var env = ["\(fleet.sandbox.dir)/site.env"]
        if let extraEnv {
            let path = "\(fleet.sandbox.dir)/extra-\(version).env"
            try extraEnv.write(toFile: path, atomically: true, encoding: .utf8)
            env.append(path)
        }
        let manifest = try String(contentsOfFile: fleet.sandbox.manifestPath, encoding: .utf8)
        let head = manifest.components(separatedBy: "\nrelease:\n")[0]
        let javaOptions = #"["-Xms16m", "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Dserver.address=__LAN_IP__"]"#
        var text = head + """

            release:
              dir: \(tarball)
              env: [\(env.joined(separator: ", "))]
              mode: \(mode)
              java_opts: \(javaOptions)
            catalog: \(Sandbox.repoRoot)/deploy/bk-job/catalogs
            services:

            """
        for (service, hosts) in placement { text += "  \(service): [\(hosts.joined(separator: ", "))]\n" }
        let path = "\(fleet.sandbox.dir)/fleet-\(version)-\(mode).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let line33: [(String, [String])] = [
        ("job-config", ["h1"]), ("job-manage", ["h1", "h2"]), ("job-backup", ["h3"]), ("job-logsvr", ["h2"]),
        ("job-ticket", ["h3"]), ("job-file-gateway", ["h3"]), ("job-execute", ["h1", "h2", "h3"]),
        ("job-crontab", ["h2"]), ("job-gateway", ["h1"]), ("job-file-worker", ["h3"]), ("job-analysis", ["h2"]),
    ]
    static var line37: [(String, [String])] { line33.filter { $0.0 != "job-ticket" } }
    static var line312: [(String, [String])] { line37 }

    /// Deploys `manifest`, then checks every placed instance is running, healthy, on `version`.
    func deployHealthy(_ manifest: String, _ placement: [(String, [String])], version: String) throws -> [String: [String: Any]] {
        let result = try fleet.deploy(manifest)
        #expect(result.succeeded, "deploy failed (\(result.status)):\n\(result.stdout)\n\(result.stderr)")
        let rows = try fleet.status(manifest)
        let expected = Set(placement.flatMap { service, hosts in hosts.map { "\(service)@\($0)" } })
        #expect(Set(rows.keys) == expected)
        for (key, row) in rows {
            #expect(row["state"] as? String == "running", "\(key): \(row)")
            #expect(row["health"] as? String == "healthy", "\(key): \(row)")
        }
        return rows
    }

    /// job-config got healthy before any instance that depends on it started.
    func configFirst(_ rows: [String: [String: Any]]) throws {
        let configHealthy = try #require(ControllerFleet.date(rows["job-config@h1"]?["healthy_since"]))
        for (key, row) in rows where !key.hasPrefix("job-config@") && !key.hasPrefix("job-file-worker@") {
            let started = try #require(ControllerFleet.date(row["started_at"]), "\(key)")
            #expect(started >= configHealthy, "\(key) started before job-config was healthy")
        }
    }

    @Test("3.3.8: eleven services, job-ticket included, healthy in dependency order; .properties served from job-config's host")
    func line3_3() throws {
        let path = try manifest("3.3.8", placement: Self.line33)
        let plan = try fleet.cli.run(["plan", "-f", path])
        #expect(plan.stdout.contains("etc/job/job-manage/job-manage.properties"), "\(plan.stdout)")
        #expect(!plan.stdout.contains("sandbox-mysql-manage-pw"))
        let rows = try deployHealthy(path, Self.line33, version: "3.3.8")
        try configFirst(rows)
        let h1 = try #require(fleet.sandbox.hosts.first { $0.name == "h1" })
        let h3 = try #require(fleet.sandbox.hosts.first { $0.name == "h3" })
        #expect(FileManager.default.fileExists(atPath: "\(h1.bkHome)/etc/job/job-ticket/job-ticket.properties"))
        #expect(!FileManager.default.fileExists(atPath: "\(h3.bkHome)/etc/job/job-ticket/job-ticket.properties"))
        #expect(FileManager.default.fileExists(atPath: "\(h3.bkHome)/etc/job/application-ticket.yml"))

        // Each service logs where bk-job's logback puts it, and `logs` reads that file.
        for (host, service, file) in [(h1, "job-manage", "manage.log"), (h1, "job-gateway", "gateway.log"),
                                      (h3, "job-file-gateway", "gateway.log"), (h3, "job-file-worker", "worker.log"),
                                      (h3, "job-ticket", "ticket.log")] {
            let log = ControllerFleet.text("\(host.bkHome)/logs/job/\(service)/\(file)")
            #expect(log.contains("Started"), "\(service) on \(host.name) has no \(file)")
            #expect(!FileManager.default.fileExists(atPath: "\(host.bkHome)/logs/job/\(service)/\(service).log"))
        }
        let logs = try fleet.cli.run(["logs", "-f", path, "job-manage", "--hosts", "h1", "-n", "5"])
        #expect(logs.status == 0 && logs.stdout.contains("[h1]"), "\(logs.stdout)\(logs.stderr)")
        let errors = try fleet.cli.run(["logs", "-f", path, "job-manage", "--hosts", "h1", "--error"])
        #expect(errors.status == 0, "error.log is there, if empty: \(errors.stderr)")
    }

    @Test("a Java 8 under $BK_HOME/service/java is what the agent finds first: 3.12 is refused before any change")
    func javaRefused() throws {
        let h2 = try #require(fleet.sandbox.hosts.first { $0.name == "h2" })
        let bin = "\(h2.bkHome)/service/java/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: "\(h2.bkHome)/service") }
        try "#!/bin/sh\necho 'openjdk version \"1.8.0_392\"' >&2\n".write(toFile: "\(bin)/java", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(bin)/java")

        let path = try manifest("3.12.3", placement: Self.line312)
        let doctor = try fleet.cli.run(["doctor", "-f", path, "--hosts", "h2"])
        #expect(doctor.status != 0)
        #expect(doctor.stdout.contains("\(bin)/java from $BK_HOME/service/java: 1.8.0_392 (Java 8)"), "\(doctor.stdout)")
        let before = try fleet.pids(path)
        let refused = try fleet.cli.run(["deploy", "-f", path, "--yes"])
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("job-manage: java 1.8.0_392 is Java 8 at \(bin)/java"), "\(refused.stderr)")
        #expect(refused.stderr.contains("release 3.12.3 needs Java 17"), "\(refused.stderr)")
        #expect(refused.stderr.contains("nothing was uploaded or changed"))
        #expect(try fleet.pids(path) == before, "nothing was restarted")
    }

    @Test("3.3.8 → 3.7.4: job-ticket stops, everything else converges on 3.7.4 with job-common served")
    func upgradeTo3_7() throws {
        let old = try manifest("3.3.8", placement: Self.line33)
        _ = try fleet.deploy(old)
        let ticketPlacement = try manifest("3.7.4", placement: Self.line33)
        let refused = try fleet.cli.run(["plan", "-f", ticketPlacement])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("job-ticket was merged into job-manage in 3.4"), "\(refused.stderr)")

        let path = try manifest("3.7.4", placement: Self.line37)
        let rows = try deployHealthy(path, Self.line37, version: "3.7.4")
        try configFirst(rows)
        let h1 = try #require(fleet.sandbox.hosts.first { $0.name == "h1" })
        #expect(FileManager.default.fileExists(atPath: "\(h1.bkHome)/etc/job/job-common/application.yml"))
        #expect(FileManager.default.fileExists(atPath: "\(h1.bkHome)/etc/job/job-manage/job-manage.yml"))
    }

    @Test("3.7.4 → 3.12.3 converges; a change to job-manage.yml restarts job-manage only")
    func upgradeTo3_12() throws {
        _ = try fleet.deploy(try manifest("3.7.4", placement: Self.line37))
        let path = try manifest("3.12.3", placement: Self.line312)
        let rows = try deployHealthy(path, Self.line312, version: "3.12.3")
        try configFirst(rows)

        let before = try fleet.pids(path)
        let changed = try manifest("3.12.3", placement: Self.line312, extraEnv: "BK_JOB_MANAGE_MYSQL_PASSWORD=rotated-manage-pw\n")
        let plan = try fleet.cli.run(["plan", "-f", changed])
        #expect(plan.status == 3, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("job-manage.yml changed on h1 (served by job-config)"), "\(plan.stdout)")
        #expect(!plan.stdout.contains("rotated-manage-pw"))
        let result = try fleet.deploy(changed)
        #expect(result.succeeded, "\(result.stdout)\(result.stderr)")
        let after = try fleet.pids(changed)
        for (key, pid) in before {
            if key.hasPrefix("job-manage@") { #expect(after[key] != pid, "\(key) was not restarted") }
            else { #expect(after[key] == pid, "\(key) was restarted") }
        }
    }

    @Test("3.12.3 lite: job-assemble and job-gateway, no job-config, the stable instances stopped")
    func lite() throws {
        let placement: [(String, [String])] = [("job-assemble", ["h1", "h2"]), ("job-gateway", ["h3"])]
        let path = try manifest("3.12.3", mode: "lite", placement: placement)
        _ = try deployHealthy(path, placement, version: "3.12.3")
        let h1 = try #require(fleet.sandbox.hosts.first { $0.name == "h1" })
        #expect(ControllerFleet.text("\(h1.bkHome)/logs/job/job-assemble/job.log").contains("Started"),
                "job-assemble logs to job.log, as bk-job's logback names it")
    }
}
