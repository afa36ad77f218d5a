import Foundation
import Shared
import Yams

extension ServiceCatalog {
    static let topLevelKeys = ["catalog_version", "project", "release", "description", "runbook", "defaults", "services",
                               "applies_to", "deploy_file", "removed", "java_runtime", "consul"]
    static let serviceKeys = ["description", "jar", "script", "port", "config", "java", "java_opts", "env",
                              "depends_on", "health", "start_timeout", "stop_timeout", "restart", "extra_ports", "optional",
                              "log_file", "error_log", "limits"]
    static let healthKeys = ["http", "tcp", "command", "start_grace", "interval", "timeout",
                             "healthy_threshold", "unhealthy_threshold"]
    static let httpKeys = ["path", "port", "user", "password", "expect_status", "expect_body_status"]
    static let supportedVersions = 1...1

    /// Loads and validates the catalog at `path`, reporting every problem at once.
    public static func load(path: String) throws -> ServiceCatalog {
        try YAMLReader.read(path: path) { parse($0, reader: $1, path: path) }
    }

    /// Parses catalog YAML text; `path` names it in messages.
    public static func parse(yaml: String, path: String) throws -> ServiceCatalog {
        try YAMLReader.read(yaml: yaml, path: path) { parse($0, reader: $1, path: path) }
    }

    static func parse(_ root: Node, reader: YAMLReader, path: String) -> ServiceCatalog? {
        guard let top = reader.mapping(root, at: "") else { return nil }
        reader.rejectUnknownKeys(top, allowed: topLevelKeys)
        let version = reader.integer(top, "catalog_version", in: 1...1_000) ?? 0
        if top["catalog_version"] == nil {
            reader.report(top.node, "catalog_version", "is required (this JobFleet reads version 1)")
        } else if version > 0 && !supportedVersions.contains(version) {
            reader.report(top["catalog_version"], "catalog_version",
                          "is \(version), but this JobFleet reads version \(supportedVersions.upperBound); upgrade jobfleet")
        }
        let project = reader.string(top, "project") ?? "job"
        if SafeName.pathProblem(project, absolute: false) != nil || project.contains("/") {
            reader.report(top["project"], "project", "must be a single directory name, got '\(project)'")
        }

        let base = defaults(top["defaults"], reader: reader)
        var services: [ServiceDefinition] = []
        if let node = top["services"], let map = reader.mapping(node, at: "services") {
            for entry in map.entries {
                if let service = parseService(entry, base: base, reader: reader) { services.append(service) }
            }
            if map.entries.isEmpty { reader.report(node, "services", "must list at least one service") }
        } else if top["services"] == nil {
            reader.report(top.node, "services", "is required")
        }
        checkDependencies(services, reader: reader)

        var runbook: [String] = []
        if let node = top["runbook"], let list = reader.stringList(node, at: "runbook") {
            for (index, (name, item)) in list.enumerated() {
                if !services.contains(where: { $0.name == name }) {
                    reader.report(item, "runbook[\(index)]", "names '\(name)', which is not in services")
                } else {
                    runbook.append(name)
                }
            }
        }
        var catalog = ServiceCatalog(path: path, version: version, project: project, runbook: runbook, services: services)
        parseLine(top, into: &catalog, reader: reader)
        parseJavaRuntimes(top, into: &catalog, reader: reader)
        if let need = reader.string(top, "consul") {
            switch need {
            case "required": catalog.needsConsul = true
            case "none": catalog.needsConsul = false
            default:
                reader.report(top["consul"], "consul",
                              "must be required (the services register with a Consul agent on their host) or none, got '\(need)'")
            }
        }
        return catalog
    }

    /// The settings every service starts from before its own entry overrides them.
    struct Defaults {
        var java = "java"
        var javaOptions: [String] = []
        var javaOptionLines: [String: Int] = [:]
        var health: YAMLReader.Mapping?
        var startTimeout: Duration = .seconds(180)
        var stopTimeout: Duration = .seconds(60)
        var backoffInitial: Duration = .seconds(1)
        var backoffMax: Duration = .seconds(60)
        var openFiles = SpecLimits.defaultOpenFiles
    }

    private static func defaults(_ node: Node?, reader: YAMLReader) -> Defaults {
        var result = Defaults()
        guard let node, let map = reader.mapping(node, at: "defaults") else { return result }
        reader.rejectUnknownKeys(map, allowed: ["java", "java_opts", "health", "start_timeout", "stop_timeout", "restart", "limits"])
        result.openFiles = openFiles(map, reader: reader) ?? result.openFiles
        if let java = reader.string(map, "java") { result.java = java }
        if let node = map["java_opts"], let list = reader.stringList(node, at: "defaults.java_opts") {
            result.javaOptions = list.map(\.0)
            for (option, item) in list { result.javaOptionLines[option] = item.mark?.line }
        }
        if let node = map["health"] { result.health = reader.mapping(node, at: "defaults.health") }
        if let value = reader.duration(map, "start_timeout") { result.startTimeout = value }
        if let value = reader.duration(map, "stop_timeout") { result.stopTimeout = value }
        if let node = map["restart"], let restart = reader.mapping(node, at: "defaults.restart") {
            reader.rejectUnknownKeys(restart, allowed: ["backoff_initial", "backoff_max"])
            if let value = reader.duration(restart, "backoff_initial") { result.backoffInitial = value }
            if let value = reader.duration(restart, "backoff_max") { result.backoffMax = value }
        }
        return result
    }

    private static func parseService(_ entry: YAMLReader.Entry, base: Defaults, reader: YAMLReader) -> ServiceDefinition? {
        let field = "services.\(entry.key)"
        if !SafeName.isServiceName(entry.key) {
            reader.report(entry.keyNode, field, "is not a valid service name (lower-case letters, digits and '-')")
        }
        guard let map = reader.mapping(entry.value, at: field) else { return nil }
        reader.rejectUnknownKeys(map, allowed: serviceKeys)
        let jar = relativePath(map, "jar", required: true, reader: reader) ?? ""
        let script = relativePath(map, "script", required: false, reader: reader)
        let port = reader.string(map, "port", required: true) ?? ""

        let configs = parseConfigs(map["config"], field: field, reader: reader)

        var options = base.javaOptions
        var optionLines = base.javaOptionLines
        if let node = map["java_opts"], let list = reader.stringList(node, at: "\(field).java_opts") {
            options += list.map(\.0)
            for (option, item) in list { optionLines[option] = item.mark?.line }
        }
        var environment: [String: String] = [:]
        if let node = map["env"], let envMap = reader.mapping(node, at: "\(field).env") {
            for item in envMap.entries {
                if !SafeName.isEnvKey(item.key) {
                    reader.report(item.keyNode, envMap.path(item.key), "is not a valid environment variable name")
                }
                if let value = reader.scalar(item.value, at: envMap.path(item.key)) { environment[item.key] = value }
            }
        }
        var dependsOn: [String] = []
        if let node = map["depends_on"], let list = reader.stringList(node, at: "\(field).depends_on") {
            dependsOn = list.map(\.0)
        }
        let health = parseHealth(base: base.health, own: map["health"].flatMap { reader.mapping($0, at: "\(field).health") },
                                 field: "\(field).health", node: entry.value, reader: reader)
        var backoffInitial = base.backoffInitial, backoffMax = base.backoffMax
        if let node = map["restart"], let restart = reader.mapping(node, at: "\(field).restart") {
            reader.rejectUnknownKeys(restart, allowed: ["backoff_initial", "backoff_max"])
            backoffInitial = reader.duration(restart, "backoff_initial") ?? backoffInitial
            backoffMax = reader.duration(restart, "backoff_max") ?? backoffMax
        }
        var definition = ServiceDefinition(
            name: entry.key, jar: jar, script: script, port: port, configs: configs,
            java: reader.string(map, "java") ?? base.java, javaOptions: options, javaOptionLines: optionLines,
            environment: environment,
            dependsOn: dependsOn, health: health,
            startTimeout: reader.duration(map, "start_timeout") ?? base.startTimeout,
            stopTimeout: reader.duration(map, "stop_timeout") ?? base.stopTimeout,
            restartBackoffInitial: backoffInitial, restartBackoffMax: backoffMax,
            openFiles: openFiles(map, reader: reader) ?? base.openFiles,
            line: entry.keyNode.mark?.line)
        definition.logFile = relativePath(map, "log_file", required: false, reader: reader)
        definition.errorLog = relativePath(map, "error_log", required: false, reader: reader)
        return definition
    }

    /// `limits: { nofile: N }` of `map`, when it has one.
    private static func openFiles(_ map: YAMLReader.Mapping, reader: YAMLReader) -> Int? {
        guard let node = map["limits"], let limits = reader.mapping(node, at: map.path("limits")) else { return nil }
        reader.rejectUnknownKeys(limits, allowed: ["nofile"])
        return reader.integer(limits, "nofile", in: SpecLimits.openFiles)
    }

    /// Health settings: the service's own entry, field by field over the defaults.
    private static func parseHealth(base: YAMLReader.Mapping?, own: YAMLReader.Mapping?, field: String,
                                     node: Node, reader: YAMLReader) -> HealthSpec {
        for map in [base, own].compactMap({ $0 }) { reader.rejectUnknownKeys(map, allowed: healthKeys) }
        func pick<T>(_ read: (YAMLReader.Mapping) -> T?) -> T? {
            own.flatMap(read) ?? base.flatMap(read)
        }
        var check: HealthSpec.Check = .tcp(port: nil)
        let checkSource = [own, base].compactMap { $0 }.first { $0["http"] != nil || $0["tcp"] != nil || $0["command"] != nil }
        if let source = checkSource {
            if let http = source["http"], let map = reader.mapping(http, at: source.path("http")) {
                reader.rejectUnknownKeys(map, allowed: httpKeys)
                let path = reader.string(map, "path") ?? "/actuator/health"
                if !path.hasPrefix("/") { reader.report(map["path"], map.path("path"), "must start with /") }
                check = .http(path: path, port: reader.string(map, "port"), user: reader.string(map, "user"),
                              password: reader.string(map, "password"),
                              expectStatus: reader.integer(map, "expect_status", in: 100...599) ?? 200,
                              expectBodyStatus: bodyStatus(map, reader: reader))
            } else if let tcp = source["tcp"] {
                var port: String?
                if case .mapping = tcp, let map = reader.mapping(tcp, at: source.path("tcp")) {
                    reader.rejectUnknownKeys(map, allowed: ["port"])
                    port = reader.string(map, "port")
                } else if case .scalar(let scalar) = tcp, !["true", "yes", ""].contains(scalar.string) {
                    port = scalar.string
                }
                check = .tcp(port: port)
            } else if let command = source["command"], let list = reader.stringList(command, at: source.path("command")) {
                if list.isEmpty { reader.report(command, source.path("command"), "must not be empty") }
                check = .command(list.map(\.0))
            }
        }
        return HealthSpec(
            check: check,
            startGrace: pick { reader.duration($0, "start_grace") } ?? .seconds(5),
            interval: pick { reader.duration($0, "interval") } ?? .seconds(5),
            timeout: pick { reader.duration($0, "timeout") } ?? .seconds(2),
            healthyThreshold: pick { reader.integer($0, "healthy_threshold", in: 1...100) } ?? 1,
            unhealthyThreshold: pick { reader.integer($0, "unhealthy_threshold", in: 1...100) } ?? 3)
    }

    /// `expect_body_status`: a word such as `UP` (Spring Boot's statuses are upper-case words).
    private static func bodyStatus(_ map: YAMLReader.Mapping, reader: YAMLReader) -> String? {
        guard let value = reader.string(map, "expect_body_status") else { return nil }
        guard !value.isEmpty, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            reader.report(map["expect_body_status"], map.path("expect_body_status"),
                          "must be a status word such as UP, got '\(value)'")
            return nil
        }
        return value
    }

    static func relativePath(_ map: YAMLReader.Mapping, _ key: String, required: Bool,
                                     reader: YAMLReader) -> String? {
        guard let value = reader.string(map, key, required: required), !value.isEmpty else { return nil }
        if let problem = SafeName.pathProblem(value, absolute: false) {
            reader.report(map[key], map.path(key), "\(problem) (got '\(value)')")
            return nil
        }
        return value
    }

    /// Dependencies must name catalog services and form no cycle.
    private static func checkDependencies(_ services: [ServiceDefinition], reader: YAMLReader) {
        let names = Set(services.map(\.name))
        for service in services {
            for dependency in service.dependsOn where !names.contains(dependency) {
                reader.reportAt(line: service.line, field: "services.\(service.name).depends_on",
                                     message: "names '\(dependency)', which is not in services")
            }
        }
        if let cycle = DependencyOrder.cycle(in: services) {
            reader.reportAt(line: services.first { $0.name == cycle[0] }?.line, field: "depends_on",
                                 message: "dependencies form a cycle: \(cycle.joined(separator: " → "))")
        }
    }
}
