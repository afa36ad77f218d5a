import Foundation
import Shared
import Testing
import TestSupport

/// The agent runs as root under a BK_HOME where an unprivileged account (`nobody`) may own a
/// service's log directory. Whatever that account plants there, root must never write,
/// truncate, chmod or delete through it. Loopback addresses 127.0.9.x.
@Suite("Agent against a hostile local account", .serialized, .enabled(if: Prerequisites.runIntegration))
struct AgentHostileAccountTests {
    /// A small cap checked every second, so rotation happens within the test.
    static let smallConsole = ["JOBFLEET_AGENT_CONSOLE_CAP": "65536", "JOBFLEET_AGENT_CONSOLE_CHECK_SECONDS": "1"]

    func text(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    func isLink(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeSymbolicLink
    }

    @Test("console.log.1 planted as a link to a root file beside a large console.log: rotation replaces the link, the file is unchanged")
    func rotationDoesNotWriteThroughALink() throws {
        try Prerequisites.require()
        let host = try AgentTestHost(name: "hostile-rotate", address: "127.0.9.21")
        defer { host.cleanup() }
        try host.install(["job-config"])
        let target = try HostileAccount.rootFile(in: host.home)
        let original = try #require(text(target))
        let logDir = "\(host.home)/logs/job/job-config"
        try HostileAccount.ownDirectory(logDir)
        // 256 KiB of filler ending in the attacker's key: the newest bytes are what rotation keeps.
        try HostileAccount.run("""
            cd '\(logDir)' && ln -s '\(target)' console.log.1 \
            && head -c 262144 /dev/zero | tr '\\000' x > console.log \
            && echo && echo 'ssh-ed25519 AAAAplanted nobody@attacker' >> console.log
            """)
        let client = try host.client(environment: Self.smallConsole)
        defer { client.close() }
        #expect(try client.send(.activate(ActivateRequest(service: "job-config", release: host.releases["job-config"]!))).failure == nil)
        #expect(try client.send(.apply(ApplyRequest(services: [host.spec("job-config")]))).failure == nil)
        try Poll.until("the agent to rotate job-config's console log", within: .seconds(60)) {
            text("\(host.home)/.jobfleet/agent.log")?.contains("console log rotated service.name=job-config") == true
        }
        let unchanged = text(target) == original
        #expect(unchanged, "root's file is unchanged")
        #expect(!isLink("\(logDir)/console.log.1"), "the planted link was replaced, not written through")
        #expect(text("\(logDir)/console.log.1")?.hasSuffix("AAAAplanted nobody@attacker\n") == true, "the copy holds the newest bytes")
        #expect((FileManager.default.fileExists(atPath: "\(logDir)/console.log")), "the service still has its console log")
        _ = try client.send(.stop(ControlRequest(services: ["job-config"], stopTimeoutSeconds: 5)))
    }

    @Test("console.log planted as a link to a root file before a start: the start is refused, nothing is appended through it")
    func spawnDoesNotAppendThroughALink() throws {
        try Prerequisites.require()
        let host = try AgentTestHost(name: "hostile-console", address: "127.0.9.22")
        defer { host.cleanup() }
        let target = try HostileAccount.rootFile(in: host.home)
        let original = try #require(text(target))
        let logDir = "\(host.home)/logs/job/job-echo"
        try HostileAccount.ownDirectory(logDir)
        try HostileAccount.run("ln -s '\(target)' '\(logDir)/console.log'")
        let client = try host.client()
        defer { client.close() }
        // Prints at once, so an agent that opened the link would have appended by the time
        // the start's answer arrives.
        let spec = ServiceSpec(name: "job-echo", command: ["/bin/sh", "-c", "echo appended-through-the-link; exec sleep 600"], workingDirectory: "/",
                               restart: RestartPolicy(initialBackoffSeconds: 30))
        let applied = try client.send(.apply(ApplyRequest(services: [spec])))
        guard case .apply(let result) = applied.body else { Issue.record("apply failed: \(applied)"); return }
        #expect(result.changes.map(\.action) == [.startFailed])
        let started = try client.send(.start(ControlRequest(services: ["job-echo"])))
        let message = started.failure?.message ?? ""
        #expect(message.contains("\(logDir)/console.log") && message.contains("symbolic link"), "\(started)")
        let unchanged = text(target) == original
        #expect(unchanged, "root's file is unchanged: \(text(target)?.suffix(200) ?? "(unreadable)")")
        #expect(isLink("\(logDir)/console.log"), "the agent did not touch the planted link")
    }

    @Test("a service running as its own account plants links in its log directory: the agent neither appends nor rotates through them")
    func serviceAccountCannotRedirectTheAgent() throws {
        try Prerequisites.require()
        guard getuid() == 0 else { return }
        let host = try AgentTestHost(name: "hostile-runas", address: "127.0.9.25")
        defer { host.cleanup() }
        let target = try HostileAccount.rootFile(in: host.home)
        let original = try #require(text(target))
        let logDir = "\(host.home)/logs/job/job-plant"
        // The service is the attacker: it records who it runs as, replaces its console log and
        // the rotation copy with links to root's file, and exits so the agent starts it again.
        let script = """
            cd '\(logDir)' && id -un > whoami && rm -f console.log console.log.1 \
            && ln -s '\(target)' console.log && ln -s '\(target)' console.log.1 && exit 1
            """
        var spec = ServiceSpec(name: "job-plant", command: ["/bin/sh", "-c", script], workingDirectory: "/",
                               restart: RestartPolicy(initialBackoffSeconds: 0.5, maxBackoffSeconds: 1, maxFailures: 50))
        spec.user = HostileAccount.name
        let client = try host.client(environment: Self.smallConsole)
        defer { client.close() }
        #expect(try client.send(.apply(ApplyRequest(services: [spec]))).failure == nil)
        try Poll.until("the service to plant its links and a restart to be refused", within: .seconds(30)) {
            isLink("\(logDir)/console.log")
                && text("\(host.home)/.jobfleet/agent.log")?.contains("symbolic link") == true
        }
        #expect(text("\(logDir)/whoami") == "\(HostileAccount.name)\n", "the service ran as its own account")
        let owner = try FileManager.default.attributesOfItem(atPath: logDir)[.ownerAccountID] as? Int
        #expect(owner == Int(HostileAccount.uid), "the agent gave the log directory to the service's account")
        // Rotation is checked every second: give it a few chances to write through a link.
        Thread.sleep(forTimeInterval: 3)
        let unchanged = text(target) == original
        #expect(unchanged, "root's file is unchanged: \(text(target)?.suffix(200) ?? "(unreadable)")")
        #expect(isLink("\(logDir)/console.log") && isLink("\(logDir)/console.log.1"), "the agent left the planted links alone")
        _ = try client.send(.stop(ControlRequest(services: ["job-plant"], stopTimeoutSeconds: 5)))
    }

    @Test(".jobfleet planted as a link to another directory: serve and rpc refuse with the path, nothing is chmod'ed or created there")
    func agentDirectoryLink() throws {
        try Prerequisites.require()
        let host = try AgentTestHost(name: "hostile-dotdir", address: "127.0.9.23")
        defer { host.cleanup() }
        let elsewhere = "\(host.home)/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try FileManager.default.createSymbolicLink(atPath: "\(host.home)/.jobfleet", withDestinationPath: elsewhere)
        for arguments in [["serve", "--home", host.home], ["rpc", "--home", host.home]] {
            let outcome = try AgentRun.run(arguments, within: 30)
            #expect(outcome.status != nil && outcome.status != 0, "\(arguments[0]) refuses: \(outcome)")
            #expect(outcome.stderr.contains("\(host.home)/.jobfleet") && outcome.stderr.contains("symbolic link"), "\(outcome.stderr)")
            let mode = try FileManager.default.attributesOfItem(atPath: elsewhere)[.posixPermissions] as? Int
            #expect(mode == 0o755, "the link's target kept its mode")
            #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty, "nothing was created through the link")
        }
    }

    /// How a `.jobfleet` that exists can be unsafe, and what the refusal must say.
    enum UnsafeAgentDir: String, CaseIterable, CustomTestStringConvertible {
        case otherOwner, worldWritable, groupWritable
        var testDescription: String { rawValue }
    }

    @Test("a .jobfleet owned by another account, or writable by group or others, is refused with the fix", arguments: UnsafeAgentDir.allCases)
    func unsafeAgentDirectory(_ unsafe: UnsafeAgentDir) throws {
        try Prerequisites.require()
        let host = try AgentTestHost(name: "hostile-\(unsafe.rawValue)", address: "127.0.9.24")
        defer { host.cleanup() }
        let dir = "\(host.home)/.jobfleet"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        switch unsafe {
        case .otherOwner:
            chmod(dir, 0o700)
            chown(dir, HostileAccount.uid, HostileAccount.gid)
        case .worldWritable: chmod(dir, 0o777)
        case .groupWritable: chmod(dir, 0o770)
        }
        let before = try FileManager.default.attributesOfItem(atPath: dir)
        let outcome = try AgentRun.run(["serve", "--home", host.home], within: 30)
        #expect(outcome.status != nil && outcome.status != 0, "serve refuses: \(outcome)")
        #expect(outcome.stderr.contains(dir), "\(outcome.stderr)")
        #expect(outcome.stderr.contains(unsafe == .otherOwner ? "chown" : "chmod go-w"), "the message says how to fix it: \(outcome.stderr)")
        let after = try FileManager.default.attributesOfItem(atPath: dir)
        #expect(after[.posixPermissions] as? Int == before[.posixPermissions] as? Int, "not chmod'ed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "nothing created in it")
    }
}
