import Foundation
import Shared

/// Everything that should be on the fleet, computed from the manifest, the catalog, the release
/// directory and the env file, before any host is contacted.
public struct DesiredFleet: Sendable {
    public var manifest: FleetManifest
    public var catalog: ServiceCatalog
    /// Every instance, in placement order.
    public var instances: [DesiredInstance]
    /// The env file's values (secrets included: never print this).
    public var values: [String: String]
    /// Hides the secrets among `values` in anything printed or recorded.
    public var mask: SecretMask
    /// What the operator should know that does not stop a deploy (from the env files, and
    /// placeholders rendered empty under `release.undefined: empty`).
    public var warnings: [ConfigIssue] = []
    /// The release's version (its `VERSION` file), when known; see `DesiredFleet.setVersion`.
    public var version: String?
    /// Each reached host's revision key, by host name (see `keyingRevisions`); empty until
    /// the hosts were reached.
    public var revisionKeys: [String: [UInt8]] = [:]

    /// Instances on `host`.
    public func instances(on host: String) -> [DesiredInstance] { instances.filter { $0.host.name == host } }

    /// Instances of `service`.
    public func instances(of service: String) -> [DesiredInstance] { instances.filter { $0.service == service } }

    /// Builds the desired fleet. Every problem (unknown service in the placement, missing jar,
    /// template or env value) is reported at once.
    public static func build(manifest: FleetManifest, catalog: ServiceCatalog, env: EnvFile?,
                             checksums: ChecksumCache = ChecksumCache()) throws -> DesiredFleet {
        var manifest = manifest
        // Every host of a line that needs Consul gets its agent's endpoint; instances carry it.
        for index in manifest.hosts.indices {
            manifest.hosts[index].consul = catalog.needsConsul ? manifest.hosts[index].consulSetting : nil
        }
        guard let release = manifest.release else {
            throw ConfigError(issues: [ConfigIssue(file: manifest.path, field: "release",
                message: "is required to deploy: set release.dir (and release.env)")])
        }
        var issues: [ConfigIssue] = []
        var values = env?.values ?? [:]
        var warnings = env?.warnings ?? []
        if values["BK_JOB_CONFIG_SERVERS"] == nil, let configService = catalog.service("job-config") {
            let hosts = manifest.hosts(of: "job-config")
            let servers = hosts.compactMap { host -> String? in
                guard let port = try? Template(file: catalog.path, text: configService.port).render(values) else { return nil }
                return "http://\(host.address):\(port)"
            }
            if !servers.isEmpty { values["BK_JOB_CONFIG_SERVERS"] = servers.joined(separator: ",") }
        }

        let deploy = deployOptions(catalog: catalog, releaseDir: release.dir)
        issues += deploy.issues
        issues += CommandLineSecrets.issues(manifest: manifest, release: release, catalog: catalog, deploy: deploy)
        var artifacts: [String: ReleaseArtifact] = [:]
        var templates: [String: Template] = [:]
        var instances: [DesiredInstance] = []
        for placement in manifest.services {
            guard var definition = catalog.service(placement.service) else {
                issues.append(unknownService(placement, manifest: manifest, catalog: catalog))
                continue
            }
            if let options = deploy.options[definition.name] { definition.javaOptions = options }
            definition.javaOptions += release.javaOptions
            if let openFiles = manifest.openFiles { definition.openFiles = openFiles }
            if artifacts[definition.name] == nil {
                let jar = "\(release.dir)/\(definition.jar)"
                do {
                    let (sha, size) = try checksums.sha256(of: jar)
                    artifacts[definition.name] = ReleaseArtifact(service: definition.name, localPath: jar, sha256: sha, size: size)
                } catch {
                    issues.append(ConfigIssue(file: jar, field: "",
                        message: "\(definition.name)'s jar is missing or unreadable in the release directory \(release.dir)"))
                    continue
                }
                for config in definition.configs where templates[config.template] == nil {
                    let path = "\(release.dir)/\(config.template)"
                    if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                        templates[config.template] = Template(file: path, text: text)
                    } else {
                        issues.append(ConfigIssue(file: path, field: "",
                            message: "\(definition.name)'s configuration template is missing or unreadable"))
                    }
                }
            }
            guard let artifact = artifacts[definition.name] else { continue }
            if release.undefined == .empty { warnings += renderEmpty(definition, templates: templates, values: &values) }
            for host in manifest.hosts(of: placement.service) {
                do {
                    instances.append(try instance(of: definition, on: host, artifact: artifact, catalog: catalog,
                                                  release: release, templates: templates, values: values))
                } catch let error as ConfigError {
                    issues += error.issues
                }
            }
        }
        issues += attachServed(&instances, manifest: manifest, catalog: catalog, templates: templates, values: values,
                               secretKeys: release.secretKeys)
        attachStartGates(&instances)
        // The same missing key shows up once per host: report it once.
        var seen = Set<String>()
        issues = issues.filter { seen.insert($0.description).inserted }
        if !issues.isEmpty { throw ConfigError(issues: issues) }
        let mask = SecretMask(env: values, extraKeys: Set(release.secretKeys))
        return DesiredFleet(manifest: manifest, catalog: catalog, instances: instances, values: values, mask: mask,
                            warnings: warnings)
    }

    /// Under `release.undefined: empty`: gives every placeholder of `definition`'s templates
    /// that has no value an empty one, with a warning for each (once per key).
    static func renderEmpty(_ definition: ServiceDefinition, templates: [String: Template],
                            values: inout [String: String]) -> [ConfigIssue] {
        var warnings: [ConfigIssue] = []
        for config in definition.configs {
            guard let template = templates[config.template] else { continue }
            for placeholder in template.placeholders
            where values[placeholder.key] == nil && !EnvFile.perHostKeys.contains(placeholder.key) {
                values[placeholder.key] = ""
                warnings.append(ConfigIssue(file: template.file, line: placeholder.line, field: placeholder.key,
                    message: "has no value in the env files; rendered empty (release.undefined: empty)"))
            }
        }
        return warnings
    }

    /// `values` for `host`: its own BK_HOME, LAN_IP, HOST_NAME and Consul agent
    /// (CONSUL_HTTP_PORT, CONSUL_SCHEME), also where an env value used them (`$BK_HOME/logs`
    /// was kept as `__BK_HOME__/logs`).
    static func hostValues(_ host: FleetManifest.Host, _ values: [String: String]) -> [String: String] {
        let own = ["BK_HOME": host.bkHome, "LAN_IP": host.address, "HOST_NAME": host.name,
                   "CONSUL_HTTP_PORT": String(host.consulSetting.port), "CONSUL_SCHEME": host.consulSetting.scheme]
        var result = values.mapValues { value in
            guard value.contains("__") else { return value }
            return own.reduce(value) { $0.replacingOccurrences(of: "__\($1.key)__", with: $1.value) }
        }
        result.merge(own) { $1 }
        return result
    }

    // swiftlint:disable:next function_parameter_count
    static func instance(of definition: ServiceDefinition, on host: FleetManifest.Host, artifact: ReleaseArtifact,
                         catalog: ServiceCatalog, release: FleetManifest.Release, templates: [String: Template],
                         values: [String: String]) throws -> DesiredInstance {
        let values = hostValues(host, values)
        var issues: [ConfigIssue] = []
        func render(_ text: String, field: String) -> String {
            do { return try Template(file: catalog.path, text: text).render(values) } catch let error as ConfigError {
                issues += error.issues.map {
                    var issue = $0
                    issue.line = definition.line
                    issue.field = "services.\(definition.name).\(field): \($0.field)"
                    return issue
                }
            } catch {}
            return text
        }
        let projectDir = "\(host.bkHome)/\(catalog.project)"
        let serviceDir = "\(projectDir)/\((definition.jar as NSString).deletingLastPathComponent)"
        let jarName = (definition.jar as NSString).lastPathComponent
        let releaseDir = "\(serviceDir)/releases/\(artifact.id)"

        var files: [DesiredFile] = []
        for config in definition.configs where config.servedBy == nil {
            guard let template = templates[config.template] else { continue }
            do {
                let bytes = Array(try template.render(values).utf8)
                let extra = Set(release.secretKeys)
                files.append(DesiredFile(remotePath: "\(host.bkHome)/\(config.dest)", content: bytes,
                                         sha256: Checksum.sha256(bytes), mode: 0o640, source: template.file,
                                         secretLines: template.secretLines { Secrets.isSecret($0, extra: extra) },
                                         templateLines: template.lines))
            } catch let error as ConfigError {
                issues += error.issues
            }
        }
        if let script = definition.script {
            let local = "\(release.dir)/\(script)"
            if let data = FileManager.default.contents(atPath: local) {
                let bytes = [UInt8](data)
                files.append(DesiredFile(remotePath: "\(projectDir)/\(script)", content: bytes,
                                         sha256: Checksum.sha256(bytes), mode: 0o755, source: local))
            } else {
                issues.append(ConfigIssue(file: local, field: "", message: "\(definition.name)'s ops script is missing"))
            }
        }

        let portText = render(definition.port, field: "port")
        let port = Int(portText)
        if port == nil || !(1...65535).contains(port!) {
            issues.append(ConfigIssue(file: catalog.path, line: definition.line, field: "services.\(definition.name).port",
                                      message: "renders to '\(portText)', which is not a port number"))
        }
        let command = [render(definition.java, field: "java")]
            + definition.javaOptions.map { render($0, field: "java_opts") }
            + ["-jar", "\(projectDir)/\(definition.jar)"]
        var environment: [String: String] = [:]
        for (key, value) in definition.environment { environment[key] = render(value, field: "env.\(key)") }
        let health = healthCheck(definition.health, host: host, port: port ?? 0, render: render)
        if !issues.isEmpty { throw ConfigError(issues: issues) }

        var spec = ServiceSpec(
            name: definition.name, command: command, env: environment, workingDirectory: serviceDir,
            release: artifact.id, health: health,
            stopTimeoutSeconds: definition.stopTimeout.seconds,
            restart: RestartPolicy(initialBackoffSeconds: definition.restartBackoffInitial.seconds,
                                   maxBackoffSeconds: definition.restartBackoffMax.seconds),
            logFile: "\(host.bkHome)/logs/\(catalog.project)/\(definition.logFileOrDefault)")
        spec.javaHome = host.javaHome
        spec.errorLogFile = definition.errorLog.map { "\(host.bkHome)/logs/\(catalog.project)/\($0)" }
        // In the spec, so the revision changes with them and a new account or limit restarts.
        spec.user = host.runAs
        spec.openFiles = definition.openFiles
        spec.revision = revision(of: spec, files: files, key: nil)
        return DesiredInstance(host: host, service: definition.name, artifact: artifact, files: files, spec: spec,
                               releaseDir: releaseDir, releaseJar: "\(releaseDir)/\(jarName)",
                               dependsOn: definition.dependsOn, healthDeadline: definition.startTimeout)
    }

    static func healthCheck(_ health: HealthSpec, host: FleetManifest.Host, port: Int,
                            render: (String, String) -> String) -> HealthCheckSpec {
        let probe: HealthProbe
        switch health.check {
        case let .http(path, portText, user, password, expectStatus, expectBodyStatus):
            let probePort = portText.map { render($0, "health.http.port") } ?? String(port)
            probe = .http(HTTPProbeSpec(url: "http://\(host.address):\(probePort)\(path)",
                                        user: user.map { render($0, "health.http.user") },
                                        password: password.map { render($0, "health.http.password") },
                                        expectStatus: expectStatus, expectBodyStatus: expectBodyStatus))
        case .tcp(let portText):
            probe = .tcp(host: host.address, port: portText.flatMap { Int(render($0, "health.tcp.port")) } ?? port)
        case .command(let argv):
            probe = .command(argv.map { render($0, "health.command") })
        }
        return HealthCheckSpec(probe: probe, startGraceSeconds: health.startGrace.seconds,
                               intervalSeconds: health.interval.seconds, timeoutSeconds: health.timeout.seconds,
                               healthyThreshold: health.healthyThreshold, unhealthyThreshold: health.unhealthyThreshold)
    }
}
