import Foundation
import Shared
import Testing
import TestSupport

/// A sandbox fleet driven through the `jobfleet` binary, with manifests written per test.
struct ControllerFleet {
    var sandbox: Sandbox
    let cli: JobFleetCLI

    static let baseline: [(String, [String])] = [
        ("job-config", ["h1"]), ("job-manage", ["h1", "h2"]), ("job-backup", ["h3"]), ("job-logsvr", ["h1"]),
        ("job-ticket", ["h2"]), ("job-file-gateway", ["h3"]), ("job-execute", ["h1", "h2", "h3"]),
        ("job-crontab", ["h1"]), ("job-gateway", ["h2"]), ("job-file-worker", ["h3"]), ("job-analysis", ["h1"]),
    ]

    /// The fleet of a sandbox brought up by the suite's `SandboxScope`.
    init(attach name: String, network: String) throws {
        sandbox = try Sandbox.attach(name, network: network)
        // In a folder of its own: the journal's folder is made private (0700), and the sandbox
        // folder must stay passable for the services' account.
        cli = JobFleetCLI(journal: "\(sandbox.dir)/controller/journal.sqlite")
    }

    /// Writes a manifest placing services as given, on the sandbox's hosts; returns its path.
    @discardableResult
    func manifest(_ placement: [(String, [String])] = baseline, release: String? = nil,
                  name file: String = "fleet-test.yaml", extraHosts: String = "") throws -> String {
        var text = """
            name: \(URL(fileURLWithPath: sandbox.dir).lastPathComponent)
            ssh:
              user: \(sandbox.user)
              identity: \(sandbox.identity)
              known_hosts: \(sandbox.knownHosts)
              host_keys: strict
              connect_timeout: 10s
            hosts:

            """
        for host in sandbox.hosts {
            let consul = host.consulPort.map { ", consul_http_port: \($0)" } ?? ""
            text += "  - { name: \(host.name), address: \(host.address), port: \(host.port), bk_home: \(host.bkHome)\(consul) }\n"
        }
        text += extraHosts
        text += try Self.serviceAccountLines(sandbox)
        text += """
            release:
              dir: \(release ?? sandbox.releaseDir)
              env: \(sandbox.envFile)
            catalog: \(Sandbox.repoRoot)/deploy/bk-job/catalog.yaml
            services:

            """
        for (service, hosts) in placement { text += "  \(service): [\(hosts.joined(separator: ", "))]\n" }
        let path = "\(sandbox.dir)/\(file)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The sandbox manifest's `run_as` and `limits` lines: the account this machine's sandbox
    /// runs services as, and the open-files limit it can give them.
    static func serviceAccountLines(_ sandbox: Sandbox) throws -> String {
        let text = try String(contentsOfFile: "\(sandbox.dir)/fleet.yaml", encoding: .utf8)
        return text.split(separator: "\n").filter { $0.hasPrefix("run_as:") || $0.hasPrefix("limits:") }
            .map { "\($0)\n" }.joined()
    }

    func deploy(_ manifest: String, _ extra: [String] = []) throws -> CommandResult {
        try cli.run(["deploy", "-f", manifest, "--yes"] + extra)
    }

    /// `status --json` rows by `service@host`.
    func status(_ manifest: String) throws -> [String: [String: Any]] {
        let result = try cli.run(["status", "-f", manifest, "--json"])
        var rows: [String: [String: Any]] = [:]
        for line in result.stdout.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let service = object["service"] as? String, let host = object["host"] as? String else {
                throw SandboxError(message: "status --json printed a line that is not an instance: \(line)\n\(result.stderr)")
            }
            rows["\(service)@\(host)"] = object
        }
        return rows
    }

    func pids(_ manifest: String) throws -> [String: Int] {
        try status(manifest).compactMapValues { $0["pid"] as? Int }
    }

    /// `history --json` entries (newest first), or `history --id ENTRY --json` steps.
    func history(_ manifest: String, entry: Int? = nil) throws -> [[String: Any]] {
        let result = try cli.run(["history", "-f", manifest, "--json"] + (entry.map { ["--id", String($0)] } ?? []))
        guard result.succeeded else { throw SandboxError(message: "history failed (\(result.status)): \(result.stderr)") }
        return try result.stdout.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw SandboxError(message: "history --json printed a line that is not an object: \(line)")
            }
            return object
        }
    }

    /// The status `host`'s agent reports, asked through `jobfleet-agent rpc` over OpenSSH.
    func agentStatus(on host: SandboxHost, services: [String]? = nil) throws -> StatusResult {
        let request = AgentRequest(id: "test-status", .status(StatusRequest(services: services)))
        let agent = "\(host.bkHome)/.jobfleet/bin/jobfleet-agent rpc --home \(host.bkHome)"
        let result = try sandbox.ssh(host, agent, input: String(decoding: try AgentProtocol.line(request), as: UTF8.self))
        for line in result.stdout.split(separator: "\n") {
            if let response = try? AgentProtocol.makeDecoder().decode(AgentResponse.self, from: Data(line.utf8)),
               response.id == request.id, case .status(let status) = response.body {
                return status
            }
        }
        throw SandboxError(message: "no status from the agent on \(host.name): \(result.stdout)\(result.stderr)")
    }

    /// The file that holds the stand-in `service` on `host` in its start-up while it exists:
    /// the shipped templates set `job.standin.hold-while-file` to it.
    func holdFile(_ service: String, on host: SandboxHost) -> String {
        "\(host.bkHome)/etc/job/\(service).hold"
    }

    /// The service's own log on `host`.
    func serviceLog(_ service: String, on host: SandboxHost) -> String {
        "\(host.bkHome)/logs/job/\(service)/\(service).log"
    }

    /// What `path` holds from byte `offset` on ("" when it does not exist).
    static func text(_ path: String, from offset: UInt64 = 0) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd() else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    static func size(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    static func date(_ value: Any?) -> Date? {
        guard let text = value as? String else { return nil }
        return (try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: .iso8601))
    }

    /// Deploys the baseline and checks every instance is healthy (quick when already converged).
    func ensureBaseline() throws -> String {
        let path = try manifest()
        let result = try deploy(path)
        guard result.succeeded else {
            throw SandboxError(message: "baseline deploy failed (\(result.status)):\n\(result.stdout)\n\(result.stderr)")
        }
        return path
    }
}
