import Controller
import Foundation
import Testing
import TestSupport

/// The SSH transport's integration tests share one sandbox (its own directory, network
/// 127.0.3), so they run one at a time; each test brings the hosts up and takes them down.
@Suite("SSH transport against real sshd hosts", .serialized, .enabled(if: Prerequisites.runIntegration))
enum SSHIntegration {}

/// Five sandbox hosts for one test, a scratch directory for its keys and known_hosts files,
/// and the helpers the SSH tests share. Everything is stopped and removed in `deinit`.
final class SSHFleet {
    private(set) var sandbox = Sandbox.forSuite("ssh", network: "127.0.3")
    /// The test's own scratch directory (keys, known_hosts copies, local files).
    let scratch: String
    private var agents: [Process] = []
    private var stopped: [Int32] = []

    init(hosts: Int = 5) throws {
        try Prerequisites.require()
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-ssh-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        try sandbox.up(hosts)
    }

    deinit {
        for pid in stopped { kill(pid, SIGCONT) }
        // SIGKILL: a child started by `Process` from a dispatch worker thread inherits that
        // thread's signal mask, with SIGTERM blocked, so `terminate()` left agents running.
        for agent in agents where agent.isRunning {
            kill(agent.processIdentifier, SIGKILL)
            agent.waitUntilExit()
        }
        _ = try? sandbox.down()
        try? FileManager.default.removeItem(atPath: scratch)
    }

    var hosts: [SandboxHost] { sandbox.hosts }

    /// A target for `host` as the sandbox's manifest describes it, with overrides.
    func target(_ host: SandboxHost, identity: [String]? = nil, useAgent: Bool = false, agentSocket: String? = nil,
                knownHosts: String? = nil, policy: HostKeyPolicy = .strict,
                connectTimeout: Duration = .seconds(10), commandTimeout: Duration? = .seconds(60),
                passphraseVariable: String = SSHAuthentication.defaultPassphraseVariable) -> SSHTarget {
        target(name: host.name, address: host.address, port: host.port, identity: identity, useAgent: useAgent,
               agentSocket: agentSocket, knownHosts: knownHosts, policy: policy, connectTimeout: connectTimeout,
               commandTimeout: commandTimeout, passphraseVariable: passphraseVariable)
    }

    /// A target for any address and port, with the sandbox's user and defaults.
    func target(name: String, address: String, port: Int, identity: [String]? = nil, useAgent: Bool = false,
                agentSocket: String? = nil, knownHosts: String? = nil, policy: HostKeyPolicy = .strict,
                connectTimeout: Duration = .seconds(10), commandTimeout: Duration? = .seconds(60),
                passphraseVariable: String = SSHAuthentication.defaultPassphraseVariable) -> SSHTarget {
        SSHTarget(name: name, address: address, port: port, user: sandbox.user,
                  authentication: SSHAuthentication(identityFiles: identity ?? [sandbox.identity], useAgent: useAgent,
                                                    agentSocket: agentSocket, passphraseVariable: passphraseVariable,
                                                    promptOnTerminal: false),
                  knownHostsPath: knownHosts ?? sandbox.knownHosts, hostKeyPolicy: policy,
                  connectTimeout: connectTimeout, commandTimeout: commandTimeout)
    }

    /// Connects to `host` with the sandbox key and known_hosts.
    func connect(_ host: SandboxHost) async throws -> LibSSH2Connection {
        try await LibSSH2Connection.connect(to: target(host))
    }

    /// Connects and expects an `SSHError`, which it returns.
    func connectionError(_ target: SSHTarget, sourceLocation: SourceLocation = #_sourceLocation) async throws -> SSHError {
        do {
            let connection = try await LibSSH2Connection.connect(to: target)
            await connection.close()
        } catch let error as SSHError {
            return error
        }
        Issue.record("connecting to \(target.label) succeeded", sourceLocation: sourceLocation)
        throw SandboxError(message: "expected the connection to fail")
    }

    // MARK: Keys

    /// A new key pair in the scratch directory; returns the private key's path.
    func generateKey(_ name: String, type: String, bits: Int? = nil, passphrase: String = "") throws -> String {
        let path = "\(scratch)/\(name)"
        var arguments = ["-q", "-t", type, "-N", passphrase, "-C", "jobfleet-test-\(name)", "-f", path]
        if let bits { arguments += ["-b", String(bits)] }
        let result = try Command.run("ssh-keygen", arguments)
        guard result.succeeded else { throw SandboxError(message: "ssh-keygen \(type): \(result.stderr)") }
        return path
    }

    /// Lets `key` (its .pub beside it) log in to every host, as the sandbox's own key does.
    func authorize(_ key: String) throws {
        let line = try String(contentsOfFile: key + ".pub", encoding: .utf8)
        for host in hosts {
            let file = "\(sandbox.dir)/hosts/\(host.name)/home/.ssh/authorized_keys"
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            try handle.close()
        }
    }

    /// `SHA256:…` of a host's key of `type`, as `ssh-keygen -lf` prints it.
    func fingerprint(_ host: SandboxHost, type: String = "ed25519") throws -> String {
        let result = try Command.run("ssh-keygen", ["-lf", "\(sandbox.dir)/hosts/\(host.name)/etc/ssh_host_\(type)_key.pub"])
        return String(result.stdout.split(separator: " ")[1])
    }

    /// A known_hosts file in the scratch directory with these contents.
    func knownHosts(_ name: String, _ text: String) -> String {
        let path = "\(scratch)/\(name)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    // MARK: ssh-agent

    /// Starts a real ssh-agent on a socket in the scratch directory, adds `keys`, and returns
    /// the socket; the agent is stopped in `deinit`.
    func startAgent(with keys: [String]) throws -> String {
        let socket = "\(scratch)/agent.sock"
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: Prerequisites.find("ssh-agent") ?? "/usr/bin/ssh-agent")
        agent.arguments = ["-D", "-a", socket]
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = FileHandle.nullDevice
        try agent.run()
        agents.append(agent)
        try Poll.until("ssh-agent to create \(socket)", within: .seconds(30), every: .milliseconds(20)) {
            guard agent.isRunning else { throw SandboxError(message: "ssh-agent exited (\(agent.terminationStatus))") }
            return FileManager.default.fileExists(atPath: socket)
        }
        for key in keys {
            let added = try Command.run("ssh-add", ["-q", key], environment: ["SSH_AUTH_SOCK": socket])
            guard added.succeeded else { throw SandboxError(message: "ssh-add \(key): \(added.stderr)") }
        }
        return socket
    }

    // MARK: Processes on a host

    /// The pid of `host`'s sshd listener.
    func listenerPid(_ host: SandboxHost) throws -> Int32 {
        let text = try String(contentsOfFile: "\(sandbox.dir)/hosts/\(host.name)/sshd.pid", encoding: .utf8)
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw SandboxError(message: "no sshd pid for \(host.name)")
        }
        return pid
    }

    /// Every descendant of `pid` (a host's per-connection sshd processes and their children).
    static func descendants(of pid: Int32) -> [Int32] {
        var parents: [Int32: [Int32]] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = Int32(name),
                  let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { parents[parent, default: []].append(child) }
        }
        var found: [Int32] = []
        var queue = [pid]
        while let next = queue.popLast() {
            let children = parents[next] ?? []
            found += children
            queue += children
        }
        return found
    }

    /// Freezes `host`'s sshd (and, with `sessions`, every session it serves) with SIGSTOP;
    /// `deinit` continues them.
    func freeze(_ host: SandboxHost, sessions: Bool = false) throws {
        let listener = try listenerPid(host)
        let pids = [listener] + (sessions ? Self.descendants(of: listener) : [])
        for pid in pids {
            kill(pid, SIGSTOP)
            stopped.append(pid)
        }
    }

    /// Thaws what `freeze` stopped.
    func thaw() {
        for pid in stopped { kill(pid, SIGCONT) }
        stopped.removeAll()
    }

    /// Kills `host`'s per-connection sshd processes: every open session to it drops at once.
    func cutConnections(to host: SandboxHost) throws {
        for pid in Self.descendants(of: try listenerPid(host)) { kill(pid, SIGKILL) }
    }

    /// Runs `command` on `host` through OpenSSH's own client (an independent witness).
    func witness(_ host: SandboxHost, _ command: String) throws -> CommandResult {
        try sandbox.ssh(host, command)
    }
}
