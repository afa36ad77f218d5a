import Foundation
import Shared
import Yams

extension FleetManifest {
    /// Top-level fields a manifest may have.
    static let topLevelKeys = ["name", "bk_home", "ssh", "hosts", "release", "catalog", "services", "java_home", "run_as", "limits",
                                "journal", "consul"]
    static let sshKeys = ["user", "identity", "identities", "use_agent", "known_hosts", "host_keys",
                          "connect_timeout", "command_timeout", "agent_timeout", "forks"]
    static let hostKeys = ["name", "address", "port", "bk_home", "user", "java_home", "consul_http_port"]
    static let consulKeys = ["http_port", "scheme"]
    static let releaseKeys = ["dir", "env", "secret_keys", "undefined", "mode", "java_opts"]

    /// Loads and validates the manifest at `path`. Every problem is reported at once, each with
    /// file, line and field; no host is contacted.
    public static func load(path: String) throws -> FleetManifest {
        let absolute = LocalPath.absolute(path, relativeTo: FileManager.default.currentDirectoryPath)
        return try YAMLReader.read(path: absolute) { parse($0, reader: $1, path: absolute) }
    }

    /// Loads a manifest from YAML text (for tests); `path` names it in messages.
    public static func parse(yaml: String, path: String) throws -> FleetManifest {
        try YAMLReader.read(yaml: yaml, path: path) { parse($0, reader: $1, path: path) }
    }

    // swiftlint:disable:next function_body_length
    static func parse(_ root: Node, reader: YAMLReader, path: String) -> FleetManifest? {
        guard let top = reader.mapping(root, at: "") else { return nil }
        reader.rejectUnknownKeys(top, allowed: topLevelKeys)
        let baseDir = (path as NSString).deletingLastPathComponent

        let name = reader.string(top, "name", required: true) ?? ""
        if !name.isEmpty && !SafeName.isHostName(name) {
            reader.report(top["name"], "name", "must be letters, digits, '-', '_' or '.', got '\(name)'")
        }

        var bkHome = "/data/bkee"
        if let value = reader.string(top, "bk_home") {
            bkHome = checkedRemotePath(value, node: top["bk_home"], field: "bk_home", reader: reader)
        }

        let ssh = parseSSH(top["ssh"], reader: reader, baseDir: baseDir)
        let runAs = parseRunAs(top, reader: reader)
        var hostConsulPorts: [String: Int] = [:]
        var hosts = parseHosts(top, reader: reader, defaultBkHome: bkHome, defaultUser: ssh.user,
                               consulPorts: &hostConsulPorts)
        if let runAs { for index in hosts.indices { hosts[index].runAs = runAs } }
        let openFiles = parseLimits(top, reader: reader)
        let javaHome = reader.string(top, "java_home").map {
            checkedRemotePath($0, node: top["java_home"], field: "java_home", reader: reader)
        }
        for index in hosts.indices where hosts[index].javaHome == nil { hosts[index].javaHome = javaHome }
        let consul = parseConsul(top, reader: reader)
        for index in hosts.indices {
            hosts[index].consulSetting = ConsulEndpoint(scheme: consul.scheme,
                                                        port: hostConsulPorts[hosts[index].name] ?? consul.port)
        }

        var release: Release?
        if let node = top["release"], let map = reader.mapping(node, at: "release") {
            reader.rejectUnknownKeys(map, allowed: releaseKeys)
            let dir = reader.string(map, "dir", required: true) ?? ""
            var envFiles: [String] = []
            if let node = map["env"], let list = reader.stringList(node, at: "release.env") {
                for (path, item) in list {
                    if path.isEmpty { reader.report(item, "release.env", "must not be empty") } else { envFiles.append(path) }
                }
            }
            var undefined = UndefinedPolicy.error
            if let text = reader.string(map, "undefined") {
                if let policy = UndefinedPolicy(rawValue: text) { undefined = policy } else {
                    reader.report(map["undefined"], "release.undefined",
                                  "must be error (refuse a placeholder without a value) or empty (render it empty, with a warning), got '\(text)'")
                }
            }
            var secretKeys: [String] = []
            if let node = map["secret_keys"], let list = reader.stringList(node, at: "release.secret_keys") {
                for (key, item) in list {
                    if SafeName.isEnvKey(key) { secretKeys.append(key) } else {
                        reader.report(item, "release.secret_keys", "'\(key)' is not an env key: use upper-case letters, digits and '_'")
                    }
                }
            }
            let mode = reader.string(map, "mode") ?? "stable"
            if !["stable", "lite"].contains(mode) {
                reader.report(map["mode"], "release.mode",
                              "must be stable (each service on its own) or lite (job-gateway and job-assemble), got '\(mode)'")
            }
            let javaOptions = map["java_opts"].flatMap { reader.stringList($0, at: "release.java_opts") } ?? []
            release = Release(dir: LocalPath.absolute(dir, relativeTo: baseDir),
                              envFiles: envFiles.map { LocalPath.absolute($0, relativeTo: baseDir) },
                              secretKeys: secretKeys, undefined: undefined, mode: mode, javaOptions: javaOptions.map(\.0),
                              javaOptionLines: Dictionary(javaOptions.compactMap { option, node in node.mark.map { (option, $0.line) } },
                                                          uniquingKeysWith: { first, _ in first }),
                              dirLine: map["dir"]?.mark?.line)
        }
        let catalog = reader.string(top, "catalog").map { LocalPath.absolute($0, relativeTo: baseDir) }
        let services = parsePlacement(top["services"], reader: reader, hosts: hosts)
        let journal = parseJournal(top, reader: reader, baseDir: baseDir)

        return FleetManifest(path: path, name: name, bkHome: bkHome, ssh: ssh, hosts: hosts,
                             release: release, catalogPath: catalog, services: services, runAs: runAs, openFiles: openFiles,
                             journal: journal, consul: consul)
    }

    /// `journal`: a postgresql:// URL (checked here; a problem is reported without the
    /// password), or a SQLite file relative to the manifest.
    private static func parseJournal(_ top: YAMLReader.Mapping, reader: YAMLReader, baseDir: String) -> String? {
        guard let value = reader.string(top, "journal"), !value.isEmpty else { return nil }
        guard PostgresURL.isPostgres(value) else { return LocalPath.absolute(value, relativeTo: baseDir) }
        do {
            _ = try PostgresURL(value)
        } catch {
            reader.report(top["journal"], "journal", error.message)
        }
        return value
    }

    /// `consul: { http_port: 8500, scheme: http }`: the Consul agent every host's services use,
    /// on the host itself. Consul's defaults when absent.
    private static func parseConsul(_ top: YAMLReader.Mapping, reader: YAMLReader) -> ConsulEndpoint {
        var consul = defaultConsul
        guard let node = top["consul"], let map = reader.mapping(node, at: "consul") else { return consul }
        reader.rejectUnknownKeys(map, allowed: consulKeys)
        if let port = reader.integer(map, "http_port", in: 1...65535) { consul.port = port }
        if let scheme = reader.string(map, "scheme") {
            if ["http", "https"].contains(scheme) { consul.scheme = scheme } else {
                reader.report(map["scheme"], "consul.scheme", "must be http or https, got '\(scheme)'")
            }
        }
        return consul
    }

    /// `run_as`: an account name, checked like a login name (it travels to every host and
    /// into `chgrp`). Root only by that name: the agent refuses any other account with uid 0.
    private static func parseRunAs(_ top: YAMLReader.Mapping, reader: YAMLReader) -> String? {
        guard let value = reader.string(top, "run_as") else { return nil }
        guard SafeName.isUserName(value) else {
            reader.report(top["run_as"], "run_as", "is not a valid account name: '\(value)' (lower-case letters, digits, "
                + "'_', '-' and '.', starting with a letter or '_')")
            return nil
        }
        return value
    }

    /// `limits: { nofile: N }`: the open-files limit of every service, over the catalog's.
    private static func parseLimits(_ top: YAMLReader.Mapping, reader: YAMLReader) -> Int? {
        guard let node = top["limits"], let map = reader.mapping(node, at: "limits") else { return nil }
        reader.rejectUnknownKeys(map, allowed: ["nofile"])
        return reader.integer(map, "nofile", in: SpecLimits.openFiles)
    }

    private static func parseSSH(_ node: Node?, reader: YAMLReader, baseDir: String) -> SSHSettings {
        var settings = SSHSettings(
            user: "root", identities: [], useAgent: false,
            knownHosts: LocalPath.absolute("~/.ssh/known_hosts", relativeTo: baseDir),
            hostKeys: .strict, connectTimeout: .seconds(10), commandTimeout: .seconds(120), forks: 64)
        guard let node, let map = reader.mapping(node, at: "ssh") else {
            settings.identities = defaultIdentities()
            return settings
        }
        reader.rejectUnknownKeys(map, allowed: sshKeys)
        if let user = reader.string(map, "user") {
            if SafeName.isUserName(user) { settings.user = user } else {
                reader.report(map["user"], "ssh.user", "is not a valid login name: '\(user)'")
            }
        }
        if let identity = reader.string(map, "identity") {
            settings.identities = [LocalPath.absolute(identity, relativeTo: baseDir)]
        }
        if let node = map["identities"], let list = reader.stringList(node, at: "ssh.identities") {
            settings.identities += list.map { LocalPath.absolute($0.0, relativeTo: baseDir) }
        }
        settings.useAgent = reader.boolean(map, "use_agent") ?? false
        if settings.identities.isEmpty && !settings.useAgent {
            settings.identities = defaultIdentities()
        }
        if let knownHosts = reader.string(map, "known_hosts") {
            settings.knownHosts = LocalPath.absolute(knownHosts, relativeTo: baseDir)
        }
        if let policy = reader.string(map, "host_keys") {
            if let value = HostKeyPolicy(rawValue: policy) { settings.hostKeys = value } else {
                reader.report(map["host_keys"], "ssh.host_keys", "must be strict or accept-new, got '\(policy)'")
            }
        }
        if let value = reader.duration(map, "connect_timeout") { settings.connectTimeout = value }
        if let value = reader.duration(map, "command_timeout") { settings.commandTimeout = value }
        if let value = reader.duration(map, "agent_timeout") { settings.agentTimeout = value }
        if let value = reader.integer(map, "forks", in: 1...1024) { settings.forks = value }
        return settings
    }

    /// OpenSSH's usual key files that libssh2 can use (no RSA: see the README).
    private static func defaultIdentities() -> [String] {
        ["~/.ssh/id_ed25519", "~/.ssh/id_ecdsa"].map { LocalPath.absolute($0, relativeTo: "/") }
    }

    private static func parseHosts(_ top: YAMLReader.Mapping, reader: YAMLReader,
                                   defaultBkHome: String, defaultUser: String, consulPorts: inout [String: Int]) -> [Host] {
        guard let node = top["hosts"] else {
            reader.report(top.node, "hosts", "is required: list at least one host with name and address")
            return []
        }
        guard let items = reader.sequence(node, at: "hosts") else { return [] }
        if items.isEmpty { reader.report(node, "hosts", "must list at least one host") }
        var hosts: [Host] = []
        var names: [String: Int] = [:]
        var endpoints: [String: String] = [:]
        for (index, item) in items.enumerated() {
            let field = "hosts[\(index)]"
            guard let map = reader.mapping(item, at: field) else { continue }
            reader.rejectUnknownKeys(map, allowed: hostKeys)
            let name = reader.string(map, "name", required: true) ?? ""
            let address = reader.string(map, "address", required: true) ?? ""
            if !name.isEmpty && !SafeName.isHostName(name) {
                reader.report(map["name"], "\(field).name",
                              "must be letters, digits, '-', '_' or '.' (starting with a letter or digit), got '\(name)'")
            }
            if let first = names[name], !name.isEmpty {
                reader.report(map["name"], "\(field).name", "'\(name)' is already the name of hosts[\(first)]")
            }
            names[name] = names[name] ?? index
            if !address.isEmpty && !SafeName.isAddress(address) {
                reader.report(map["address"], "\(field).address", "is not an IP address or DNS name: '\(address)'")
            }
            let port = reader.integer(map, "port", in: 1...65535) ?? 22
            let endpoint = "\(address):\(port)"
            if let other = endpoints[endpoint], !address.isEmpty {
                reader.report(map["address"], "\(field).address", "\(endpoint) is also host '\(other)'")
            }
            endpoints[endpoint] = endpoints[endpoint] ?? name
            var bkHome = defaultBkHome
            if let value = reader.string(map, "bk_home") {
                bkHome = checkedRemotePath(value, node: map["bk_home"], field: "\(field).bk_home", reader: reader)
            }
            var user = defaultUser
            if let value = reader.string(map, "user") {
                if SafeName.isUserName(value) { user = value } else {
                    reader.report(map["user"], "\(field).user", "is not a valid login name: '\(value)'")
                }
            }
            var host = Host(name: name, address: address, port: port, bkHome: bkHome, user: user, line: item.mark?.line)
            host.javaHome = reader.string(map, "java_home").map {
                checkedRemotePath($0, node: map["java_home"], field: "\(field).java_home", reader: reader)
            }
            if let consulPort = reader.integer(map, "consul_http_port", in: 1...65535) { consulPorts[name] = consulPort }
            hosts.append(host)
        }
        return hosts
    }

    private static func parsePlacement(_ node: Node?, reader: YAMLReader, hosts: [Host]) -> [Placement] {
        guard let node else { return [] }
        guard let map = reader.mapping(node, at: "services") else { return [] }
        let known = Set(hosts.map(\.name))
        var placements: [Placement] = []
        for entry in map.entries {
            let field = "services.\(entry.key)"
            if !SafeName.isServiceName(entry.key) {
                reader.report(entry.keyNode, field,
                              "is not a valid service name (lower-case letters, digits and '-', e.g. job-manage)")
            }
            guard let list = reader.stringList(entry.value, at: field) else { continue }
            var seen = Set<String>()
            var names: [String] = []
            for (hostName, hostNode) in list {
                if !known.contains(hostName) {
                    let hint = known.isEmpty ? "" : "; hosts are: \(hosts.map(\.name).joined(separator: ", "))"
                    reader.report(hostNode, field, "host '\(hostName)' is not in hosts\(hint)")
                } else if !seen.insert(hostName).inserted {
                    reader.report(hostNode, field, "host '\(hostName)' is listed twice")
                } else {
                    names.append(hostName)
                }
            }
            placements.append(Placement(service: entry.key, hosts: names, line: entry.keyNode.mark?.line))
        }
        return placements
    }

    /// Checks a path used on remote hosts; returns it without a trailing slash.
    private static func checkedRemotePath(_ value: String, node: Node?, field: String, reader: YAMLReader) -> String {
        if let problem = SafeName.pathProblem(value, absolute: true) {
            reader.report(node, field, "\(problem) (got '\(value)')")
            return value
        }
        return value.count > 1 && value.hasSuffix("/") ? String(value.dropLast()) : value
    }
}
