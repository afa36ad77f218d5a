import Foundation
import Shared
import TestSupport

/// One agent "host" for integration tests: its own BK_HOME in a temp directory, stand-in jars
/// installed as content-addressed releases, configs rendered for its own loopback address.
/// The agent is host-local, so these tests run it directly; `cleanup()` kills every process
/// whose command line names this BK_HOME, so nothing outlives the test.
final class AgentTestHost {
    let home: String
    let address: String
    /// Release id of each installed service's jar.
    private(set) var releases: [String: String] = [:]

    static let ports = ["job-config": 10500, "job-manage": 10505, "job-backup": 10507]
    static let actuatorUser = "job"
    static let actuatorPassword = "agent-test-secret"

    /// The agent binary of this build (`swift build` puts it beside the tests).
    static var agentBinary: String {
        if let override = ProcessInfo.processInfo.environment["JOBFLEET_AGENT_BIN"] { return override }
        let bin = Bundle.allBundles.map(\.bundlePath).first { $0.hasSuffix(".xctest") }
            .map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
        return "\(bin ?? "\(Sandbox.repoRoot)/.build/debug")/jobfleet-agent"
    }

    /// The stand-in release, built once per test run.
    static let standinRelease: Result<String, SandboxError> = {
        let script = ProcessInfo.processInfo.environment["JOBFLEET_STANDIN_BUILD"] ?? "\(Sandbox.repoRoot)/deploy/standin/build"
        let base = ProcessInfo.processInfo.environment["JOBFLEET_TEST_DIR"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-tests").path
        let out = "\(base)/agent-standin-release"
        do {
            let result = try Command.run("/bin/bash", [script, "--out", out, "--only", ports.keys.sorted().joined(separator: ","), "--quiet"])
            guard result.succeeded else {
                return .failure(SandboxError(message: "\(script) failed (\(result.status)): \(result.stderr)"))
            }
            return .success(out)
        } catch {
            return .failure(SandboxError(message: "cannot run \(script): \(error)"))
        }
    }()

    init(name: String, address: String) throws {
        try Prerequisites.require()
        let base = ProcessInfo.processInfo.environment["JOBFLEET_TEST_DIR"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-tests").path
        home = "\(base)/agent-\(name)-\(UUID().uuidString.prefix(8))"
        self.address = address
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    }

    /// Installs the stand-in jar of each service under `releases/<sha256[0:16]>/` and renders
    /// its config (plain `__KEY__` replacement). The jar link is left to the agent's `activate`.
    func install(_ services: [String]) throws {
        let release = try Self.standinRelease.get()
        let values: [String: String] = [
            "BK_HOME": home, "LAN_IP": address, "HOST_NAME": "agent-test",
            "BK_JOB_CONFIG_SERVERS": "http://\(address):\(Self.ports["job-config"]!)",
            "BK_JOB_CONFIG_SERVER_PORT": "\(Self.ports["job-config"]!)",
            "BK_JOB_MANAGE_SERVER_PORT": "\(Self.ports["job-manage"]!)",
            "BK_JOB_BACKUP_SERVER_PORT": "\(Self.ports["job-backup"]!)",
            "BK_JOB_ACTUATOR_USER": Self.actuatorUser, "BK_JOB_ACTUATOR_PASSWORD": Self.actuatorPassword,
            "BK_JOB_STANDIN_STARTUP_SECONDS": "1", "BK_JOB_STANDIN_DRAIN_SECONDS": "1",
            // Rendered as a host's would be; the specs below run the stand-ins without Consul.
            "CONSUL_HTTP_PORT": "8500", "CONSUL_SCHEME": "http",
        ]
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(home)/etc/job", withIntermediateDirectories: true)
        for service in services {
            let jar = "\(release)/backend/\(service)/\(service).jar"
            let id = String(try Checksum.sha256(fileAt: jar).prefix(16))
            let dir = "\(home)/job/backend/\(service)/releases/\(id)"
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            if !fm.fileExists(atPath: "\(dir)/\(service).jar") { try fm.copyItem(atPath: jar, toPath: "\(dir)/\(service).jar") }
            releases[service] = id
            let short = service.replacingOccurrences(of: "job-", with: "")
            var text = try String(contentsOfFile: "\(release)/support-files/templates/application-\(short).yml", encoding: .utf8)
            for (key, value) in values { text = text.replacingOccurrences(of: "__\(key)__", with: value) }
            if let range = text.range(of: #"__[A-Z0-9_]+__"#, options: .regularExpression) {
                throw SandboxError(message: "application-\(short).yml: no value for \(text[range])")
            }
            try text.write(toFile: "\(home)/etc/job/application-\(short).yml", atomically: true, encoding: .utf8)
        }
    }

    /// The spec the controller would render from the catalog, with test-sized timings.
    func spec(_ service: String, env: [String: String] = [:], restart: RestartPolicy = RestartPolicy(initialBackoffSeconds: 0.5),
              stopTimeout: Double = 15) -> ServiceSpec {
        let short = service.replacingOccurrences(of: "job-", with: "")
        let port = Self.ports[service]!
        return ServiceSpec(
            name: service,
            command: ["java", "-Xms16m", "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Xshare:auto",
                      "-Dspring.config.additional-location=file://\(home)/etc/job/application-\(short).yml",
                      "-Djob.log.dir=\(home)/logs/job",
                      // No Consul on this machine's agent tests: no registration, job-config by its URI.
                      "-Dspring.cloud.consul.enabled=false", "-Dspring.cloud.config.discovery.enabled=false",
                      "-jar", "\(home)/job/backend/\(service)/\(service).jar"],
            env: env,
            release: releases[service],
            health: HealthCheckSpec(probe: .http(HTTPProbeSpec(url: "http://\(address):\(port)/actuator/health",
                                                               user: Self.actuatorUser, password: Self.actuatorPassword)),
                                    startGraceSeconds: 2, intervalSeconds: 1, timeoutSeconds: 2),
            stopTimeoutSeconds: stopTimeout,
            restart: restart)
    }

    /// A client speaking to the agent through `jobfleet-agent rpc` (which starts the daemon,
    /// so `environment` also reaches the daemon when this client is the one that starts it).
    func client(environment: [String: String] = [:]) throws -> AgentTestClient {
        try AgentTestClient(binary: Self.agentBinary, home: home, environment: environment)
    }

    /// The agent daemon's pid, from its pid file.
    var agentPid: Int32? {
        (try? String(contentsOfFile: "\(home)/.jobfleet/agent.pid", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Pids of every process whose command line mentions this BK_HOME.
    func processes(matching text: String? = nil) -> [Int32] {
        let needle = text ?? home
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = Int32(entry), pid != getpid(),
                  let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let cmdline = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return cmdline.contains(home) && cmdline.contains(needle) ? pid : nil
        }
    }

    /// Kills the agent and every service of this host, then removes its BK_HOME.
    func cleanup() {
        for _ in 0..<50 {
            let pids = processes()
            if pids.isEmpty { break }
            pids.forEach { kill($0, SIGKILL) }
            usleep(100_000)
        }
        try? FileManager.default.removeItem(atPath: home)
    }
}

/// Requests over a `jobfleet-agent rpc` process, one at a time.
final class AgentTestClient {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer = Data()
    private var counter = 0

    /// The agent's `.jobfleet` directory as this process sees it, for failure messages.
    private let agentDirectory: String

    convenience init(binary: String, home: String, environment: [String: String] = [:]) throws {
        try self.init(executable: binary, arguments: ["rpc", "--home", home], agentDirectory: "\(home)/.jobfleet",
                      environment: environment)
    }

    /// A client on any command that ends in `jobfleet-agent rpc`, e.g. one run through `chroot`.
    init(executable: String, arguments: [String], agentDirectory: String, environment: [String: String] = [:]) throws {
        self.agentDirectory = agentDirectory
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
    }

    deinit { close() }

    /// Sends a request and returns its response. A changing request carries `fence`, or else
    /// the token of the lease this client takes the first time it needs one, as the controller's
    /// requests do: the agent refuses changes without it.
    func send(_ body: AgentRequest.Body, fence: UInt64? = nil) throws -> AgentResponse {
        let fence = try fence ?? (body.changesState ? leaseToken() : nil)
        counter += 1
        let request = AgentRequest(id: "t\(counter)", body, fence: fence)
        return try sendRaw(String(decoding: try AgentProtocol.line(request), as: UTF8.self))
    }

    /// The owner every test client leases as: clients of one test share the lease across agent
    /// restarts (acquiring again as the same owner renews it).
    static let leaseOwner = "agent-integration-tests"
    private var token: UInt64?

    /// The token of this client's lease, acquired on first use.
    func leaseToken() throws -> UInt64 {
        if let token { return token }
        let response = try send(.lease(LeaseRequest(action: .acquire, owner: Self.leaseOwner, ttlSeconds: 3600)))
        guard case .lease(let result) = response.body, let lease = result.lease else {
            throw SandboxError(message: "could not take the agent's lease: \(response)")
        }
        token = lease.token
        return lease.token
    }

    /// The end of the agent's log and of its daemon's own output, for a failure message.
    private func agentOutput() -> String {
        ["agent.log", "serve.out"].map { name in
            let text = (try? String(contentsOfFile: "\(agentDirectory)/\(name)", encoding: .utf8)) ?? "(none)"
            return "--- \(name):\n" + text.split(separator: "\n").suffix(30).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Sends any text as a line and returns the next response.
    func sendRaw(_ line: String) throws -> AgentResponse {
        input.fileHandleForWriting.write(Data((line.hasSuffix("\n") ? line : line + "\n").utf8))
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[(newline + 1)...])
                return try AgentProtocol.makeDecoder().decode(AgentResponse.self, from: line)
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw SandboxError(message: "jobfleet-agent rpc closed the stream\n\(agentOutput())") }
            buffer.append(chunk)
        }
    }

    /// Status of every service, or throws the agent's error.
    func status() throws -> StatusResult {
        let response = try send(.status(StatusRequest()))
        guard case .status(let result) = response.body else { throw SandboxError(message: "status failed: \(response)") }
        return result
    }

    func service(_ name: String) throws -> ServiceStatus {
        guard let found = try status().services.first(where: { $0.name == name }) else {
            throw SandboxError(message: "\(name) is not in the status")
        }
        return found
    }

    /// Polls status until `condition` holds, or fails after `timeout` seconds with the last status.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 60, _ condition: (StatusResult) -> Bool) throws -> StatusResult {
        let deadline = Date().addingTimeInterval(timeout)
        var last = try status()
        while !condition(last) {
            guard Date() < deadline else {
                throw SandboxError(message: "timed out after \(Int(timeout)) s waiting for \(what); last status: \(last.services)")
            }
            Thread.sleep(forTimeInterval: 0.25)
            last = try status()
        }
        return last
    }

    /// Closes stdin (the bridge then exits) and reaps the bridge. Polls rather than calling
    /// `waitUntilExit`, which was seen to hang here after the child had already exited.
    func close() {
        try? input.fileHandleForWriting.close()
        let pid = process.processIdentifier
        let deadline = Date().addingTimeInterval(10)
        var status: Int32 = 0
        while process.isRunning && Date() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(50_000)
        }
        if process.isRunning { kill(pid, SIGKILL) }
    }
}
