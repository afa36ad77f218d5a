import Foundation

/// Why the sandbox could not be used.
public struct SandboxError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// One sandbox host: a real OpenSSH `sshd` on its own loopback address.
public struct SandboxHost: Sendable {
    public var name: String
    public var address: String
    public var port: Int
    /// This host's BK_HOME (its own directory, as on a separate machine).
    public var bkHome: String
    /// The HTTP port of this host's Consul agent on 127.0.0.1 (nil from a sandbox without one).
    public var consulPort: Int? = nil
}

/// A local fleet of real sshd hosts, driven through `deploy/sandbox/sandbox`.
///
/// Each test suite uses its own directory and its own loopback network (`127.0.N.x`), so suites
/// and the demo sandbox never collide.
public struct Sandbox: Sendable {
    /// The repository root, found from this file's location.
    public static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static var script: String { "\(repoRoot)/deploy/sandbox/sandbox" }

    public let dir: String
    public let network: String
    public private(set) var manifestPath: String = ""
    public private(set) var hosts: [SandboxHost] = []

    /// A sandbox in `dir` whose hosts live on `network` (three octets, e.g. "127.0.1").
    public init(dir: String, network: String) {
        self.dir = dir
        self.network = network
    }

    /// A sandbox under the system temporary directory, named for the suite using it.
    public static func forSuite(_ name: String, network: String) -> Sandbox {
        let base = ProcessInfo.processInfo.environment["JOBFLEET_TEST_DIR"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-tests").path
        return Sandbox(dir: "\(base)/\(name)", network: network)
    }

    /// sshd_config changes, as `deploy/sandbox/sandbox` reads them: `"*"` for every host
    /// (`JOBFLEET_SANDBOX_SSHD`), a host's name (`"h2"`) for that host only.
    public var sshdSettings: [String: String] = [:]

    public var environment: [String: String] {
        var variables = ["JOBFLEET_SANDBOX_DIR": dir, "JOBFLEET_SANDBOX_NET": network]
        for (host, settings) in sshdSettings {
            variables[host == "*" ? "JOBFLEET_SANDBOX_SSHD" : "JOBFLEET_SANDBOX_SSHD_\(host.uppercased())"] = settings
        }
        return variables
    }

    /// The account the hosts' sshd runs as and the controller logs in as; nil for the account
    /// running the tests. Set when the tests run as root, to log in as an ordinary user.
    public var loginUser: String?

    /// The script with `arguments`, run as `loginUser` when one is set (through `runuser`).
    private func script(_ arguments: [String]) throws -> CommandResult {
        guard let loginUser else {
            return try Command.run("/bin/bash", [Self.script] + arguments, environment: environment)
        }
        let variables = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return try Command.run("runuser", ["-u", loginUser, "--", "env"] + variables + ["/bin/bash", Self.script] + arguments,
                               currentDirectory: "/")
    }

    /// Makes `name` an ordinary local account with a home and a shell, if it is not one yet,
    /// and gives it the sandbox directory. Needs root.
    public func prepareLoginUser(_ name: String) throws {
        if try !Command.run("id", ["-u", name]).succeeded {
            let made = try Command.run("useradd", ["--system", "--create-home", "--home-dir", "/var/lib/\(name)",
                                                   "--shell", "/bin/bash", name])
            guard made.succeeded else { throw SandboxError(message: "useradd \(name) failed: \(made.stderr)") }
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let owned = try Command.run("chown", ["-R", "\(name):", dir])
        guard owned.succeeded else { throw SandboxError(message: "chown \(name) \(dir) failed: \(owned.stderr)") }
    }

    public var identity: String { "\(dir)/id_ed25519" }
    public var knownHosts: String { "\(dir)/known_hosts" }
    public var releaseDir: String { "\(dir)/release" }
    public var envFile: String { "\(dir)/job.env" }
    public var user: String { loginUser ?? ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 }
        ?? (getuid() == 0 ? "root" : NSUserName()) }

    /// Brings up `count` hosts (idempotent) and reads back the manifest path and host table.
    @discardableResult
    public mutating func up(_ count: Int, _ arguments: [String] = []) throws -> CommandResult {
        try Prerequisites.require()
        let result = try script(["up", String(count)] + arguments)
        guard result.succeeded else {
            throw SandboxError(message: "sandbox up \(count) failed (\(result.status)):\n\(result.stdout)\n\(result.stderr)")
        }
        let lastLine = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard lastLine.hasPrefix("/"), FileManager.default.fileExists(atPath: lastLine) else {
            throw SandboxError(message: "sandbox up: last line is not the manifest path: \(lastLine)")
        }
        manifestPath = lastLine
        hosts = try Self.readHosts("\(dir)/hosts.tsv")
        return result
    }

    /// Reads the manifest path and host table of a sandbox that is already up.
    public mutating func readState() throws {
        manifestPath = "\(dir)/fleet.yaml"
        hosts = try Self.readHosts("\(dir)/hosts.tsv")
    }

    /// Stops everything the sandbox started.
    @discardableResult
    public func down() throws -> CommandResult {
        try script(["down"])
    }

    /// `hosts.tsv`: one line per host, `name<TAB>address<TAB>port<TAB>bk_home<TAB>consul_http_port`.
    static func readHosts(_ path: String) throws -> [SandboxHost] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: "\t").map(String.init)
            guard fields.count >= 4, let port = Int(fields[2]) else {
                throw SandboxError(message: "\(path): malformed line: \(line)")
            }
            return SandboxHost(name: fields[0], address: fields[1], port: port, bkHome: fields[3],
                               consulPort: fields.count > 4 ? Int(fields[4]) : nil)
        }
    }

    /// Arguments for OpenSSH's `ssh` to reach `host` with the sandbox key under strict host-key checking.
    public func sshArguments(_ host: SandboxHost, knownHosts: String? = nil) -> [String] {
        [
            "-F", "/dev/null",
            "-i", identity,
            "-o", "IdentitiesOnly=yes",
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=\(knownHosts ?? self.knownHosts)",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "ConnectTimeout=10",
            "-p", String(host.port),
            "-l", user,
            host.address,
        ]
    }

    /// Runs `command` on `host` through OpenSSH's own client.
    @discardableResult
    public func ssh(_ host: SandboxHost, _ command: String, knownHosts: String? = nil, input: String? = nil) throws -> CommandResult {
        try Command.run("ssh", sshArguments(host, knownHosts: knownHosts) + ["--", command], input: input)
    }
}
