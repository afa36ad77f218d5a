import Controller
import Foundation
import Testing
import TestSupport

/// The foundation everything else is tested on: real sshd hosts from the sandbox, OpenSSH's own
/// client under strict host-key checking, and the stand-in bk-job jars running on those hosts.
@Suite("Sandbox fleet and stand-in services", .serialized, .enabled(if: Prerequisites.runIntegration))
final class FoundationSandboxTests {
    var sandbox = Sandbox.forSuite("foundation", network: "127.0.1")

    init() throws {
        try Prerequisites.require()
        try sandbox.up(3)
    }

    deinit {
        _ = try? sandbox.down()
    }

    @Test("three hosts come up and the manifest they describe is valid")
    func hostsAndManifest() throws {
        #expect(sandbox.hosts.map(\.name) == ["h1", "h2", "h3"])
        #expect(sandbox.hosts.map(\.address) == ["127.0.1.11", "127.0.1.12", "127.0.1.13"])
        let manifest = try FleetManifest.load(path: sandbox.manifestPath)
        #expect(manifest.hosts.map(\.name) == ["h1", "h2", "h3"])
        #expect(manifest.ssh.hostKeys == .strict)
        #expect(manifest.hosts(of: "job-config").map(\.name) == ["h1"])
        #expect(manifest.hosts(of: "job-execute").count == 3)
        #expect(Set(manifest.services.map(\.service)) == Set(StandIn.services))
    }

    @Test("OpenSSH logs in to each host with the sandbox key under strict host-key checking")
    func opensshLogin() throws {
        for host in sandbox.hosts {
            let result = try sandbox.ssh(host, "echo \"$HOME\"; echo \"$JOBFLEET_SANDBOX_HOST\"")
            #expect(result.succeeded, "\(host.name): \(result.stderr)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == "\(sandbox.dir)/hosts/\(host.name)/home", "each host has its own HOME")
            #expect(lines.last == host.name)
        }
    }

    @Test("an unknown host key is refused under strict checking")
    func strictRefusesUnknown() throws {
        let empty = "\(sandbox.dir)/empty_known_hosts"
        try #require(FileManager.default.createFile(atPath: empty, contents: Data()))
        let result = try sandbox.ssh(sandbox.hosts[0], "true", knownHosts: empty)
        #expect(!result.succeeded)
        #expect(result.stderr.contains("Host key verification failed"))
    }

    @Test("a service fails fast while job-config is down, and becomes healthy once it is up")
    func failFastThenHealthy() async throws {
        let standIn = try StandIn(sandbox: sandbox)
        let h1 = sandbox.hosts[0], h2 = sandbox.hosts[1]
        try standIn.install(on: h1)
        try standIn.install(on: h2)

        // Nothing listens for job-config yet: job-manage must exit non-zero with a config error.
        let failed = try sandbox.ssh(h2, standIn.foregroundCommand("job-manage", on: h2))
        #expect(failed.status != 0, "job-manage exited \(failed.status) without job-config")
        let log = try standIn.log("job-manage", on: h2)
        #expect(log.contains("ERROR"), "log: \(log)")
        #expect(log.localizedCaseInsensitiveContains("config"), "log: \(log)")
        let errorLog = try String(contentsOfFile: "\(h2.bkHome)/logs/job/job-manage/error.log", encoding: .utf8)
        #expect(!errorLog.isEmpty)

        try standIn.start("job-config", on: h1)
        #expect(await standIn.waitHealthy("job-config", on: h1), "job-config never became healthy")
        try standIn.start("job-manage", on: h2)
        #expect(await standIn.waitHealthy("job-manage", on: h2), "job-manage never became healthy")
        #expect(try standIn.log("job-manage", on: h2).contains("Started"))

        // The health endpoint is protected.
        let anonymous = await HTTPProbe.get(try standIn.healthURL("job-manage", on: h2))
        #expect(anonymous?.status == 401)
        try standIn.stop("job-manage", on: h2)
        try standIn.stop("job-config", on: h1)
    }

    @Test("every stand-in jar runs on its sandbox host, and teardown leaves no process behind")
    func allServicesThenTeardown() async throws {
        let standIn = try StandIn(sandbox: sandbox)
        let manifest = try FleetManifest.load(path: sandbox.manifestPath)
        for host in sandbox.hosts { try standIn.install(on: host) }
        let config = sandbox.hosts[0]
        try standIn.start("job-config", on: config)
        #expect(await standIn.waitHealthy("job-config", on: config))
        var instances: [(String, SandboxHost)] = []
        for placement in manifest.services where placement.service != "job-config" {
            for name in placement.hosts {
                let host = try #require(sandbox.hosts.first { $0.name == name })
                try standIn.start(placement.service, on: host)
                instances.append((placement.service, host))
            }
        }
        for (service, host) in instances {
            #expect(await standIn.waitHealthy(service, on: host), "\(service) on \(host.name) never became healthy")
            #expect(FileManager.default.fileExists(atPath: "\(host.bkHome)/logs/job/\(service)/\(service).log"))
        }
        #expect(!ProcessScan.startedBySandbox(sandbox.dir).isEmpty)
        let down = try sandbox.down()
        #expect(down.succeeded, "\(down.stderr)")
        let left = ProcessScan.startedBySandbox(sandbox.dir)
        #expect(left.isEmpty, "still running after down: \(left)")
    }
}
