import Controller
import Foundation
import Testing
import TestSupport

/// Puts the stand-in bk-job release on sandbox hosts and drives it through its ops scripts,
/// the way an operator would by hand before JobFleet exists.
struct StandIn {
    /// The eleven services, in the upstream runbook order.
    static let services = [
        "job-config", "job-manage", "job-backup", "job-logsvr", "job-ticket", "job-file-gateway",
        "job-execute", "job-crontab", "job-gateway", "job-file-worker", "job-analysis",
    ]

    let sandbox: Sandbox
    let env: EnvFile

    init(sandbox: Sandbox) throws {
        self.sandbox = sandbox
        env = try EnvFile.load(path: sandbox.envFile)
    }

    /// `job-file-worker` → `FILE_WORKER`, the middle of its env keys.
    static func keyPart(_ service: String) -> String {
        String(service.dropFirst("job-".count)).uppercased().replacing("-", with: "_")
    }

    /// `application-file-worker.yml` for `job-file-worker`.
    static func configName(_ service: String) -> String {
        "application-\(service.dropFirst("job-".count)).yml"
    }

    func port(_ service: String) throws -> String {
        let candidates = ["BK_JOB_\(Self.keyPart(service))_SERVER_PORT", "BK_JOB_\(Self.keyPart(service))_SERVER_HTTP_PORT"]
        guard let value = candidates.lazy.compactMap({ env.values[$0] }).first else {
            throw SandboxError(message: "no port for \(service) in \(env.path) (looked for \(candidates))")
        }
        return value
    }

    func values(on host: SandboxHost) throws -> [String: String] {
        var values = env.values
        values["BK_HOME"] = host.bkHome
        values["LAN_IP"] = host.address
        values["HOST_NAME"] = host.name
        // The host's own Consul agent, as the controller renders it.
        values["CONSUL_HTTP_PORT"] = String(host.consulPort ?? 8500)
        values["CONSUL_SCHEME"] = "http"
        let configHost = sandbox.hosts[0]
        if values["BK_JOB_CONFIG_SERVERS"] == nil {
            values["BK_JOB_CONFIG_SERVERS"] = "http://\(configHost.address):\(try port("job-config"))"
        }
        return values
    }

    /// Copies the release's backend onto `host` (by a command run on that host) and renders
    /// every service's configuration into its BK_HOME.
    func install(on host: SandboxHost) throws {
        let job = "\(host.bkHome)/job"
        let copy = try sandbox.ssh(host, "mkdir -p \(job) \(host.bkHome)/etc/job && cp -a \(sandbox.releaseDir)/backend \(job)/")
        guard copy.succeeded else { throw SandboxError(message: "install on \(host.name): \(copy.stderr)") }
        let values = try values(on: host)
        for service in Self.services {
            let templatePath = "\(sandbox.releaseDir)/support-files/templates/\(Self.configName(service))"
            let template = Template(file: templatePath, text: try String(contentsOfFile: templatePath, encoding: .utf8))
            let rendered = try template.render(values)
            try rendered.write(toFile: "\(host.bkHome)/etc/job/\(Self.configName(service))", atomically: true, encoding: .utf8)
        }
    }

    func script(_ service: String, on host: SandboxHost) -> String {
        "\(host.bkHome)/job/backend/\(service)/bin/\(service).sh"
    }

    func start(_ service: String, on host: SandboxHost) throws {
        let result = try sandbox.ssh(host, "\(script(service, on: host)) start")
        guard result.succeeded else {
            throw SandboxError(message: "\(service) start on \(host.name) exited \(result.status): \(result.stdout)\(result.stderr)")
        }
    }

    func stop(_ service: String, on host: SandboxHost) throws {
        let result = try sandbox.ssh(host, "\(script(service, on: host)) stop")
        guard result.succeeded else {
            throw SandboxError(message: "\(service) stop on \(host.name) exited \(result.status): \(result.stdout)\(result.stderr)")
        }
    }

    /// Runs the service's jar in the foreground (as its JVM options say), so its exit status
    /// comes back through ssh.
    func foregroundCommand(_ service: String, on host: SandboxHost) -> String {
        let dir = "\(host.bkHome)/job/backend/\(service)"
        return "cd \(dir) && exec java -Xmx96m -XX:+UseSerialGC "
            + "-Dspring.config.additional-location=file://\(host.bkHome)/etc/job/\(Self.configName(service)) "
            + "-Djob.log.dir=\(host.bkHome)/logs/job -jar \(service).jar"
    }

    func log(_ service: String, on host: SandboxHost) throws -> String {
        try String(contentsOfFile: "\(host.bkHome)/logs/job/\(service)/\(service).log", encoding: .utf8)
    }

    func healthURL(_ service: String, on host: SandboxHost) throws -> String {
        "http://\(host.address):\(try port(service))/actuator/health"
    }

    func waitHealthy(_ service: String, on host: SandboxHost) async -> Bool {
        guard let url = try? healthURL(service, on: host) else { return false }
        return await HTTPProbe.waitFor(url, user: env.values["BK_JOB_ACTUATOR_USER"],
                                       password: env.values["BK_JOB_ACTUATOR_PASSWORD"], within: .seconds(90))
    }
}
