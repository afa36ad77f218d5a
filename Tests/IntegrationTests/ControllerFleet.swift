import Foundation
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
        cli = JobFleetCLI(journal: "\(sandbox.dir)/journal.sqlite")
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
            text += "  - { name: \(host.name), address: \(host.address), port: \(host.port), bk_home: \(host.bkHome) }\n"
        }
        text += extraHosts
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
