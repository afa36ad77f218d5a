import Foundation
import Shared
import Yams

/// What a release as upstream ships it adds to the desired fleet: JVM options from its
/// `#job#deploy.yml`, and configuration served by job-config, which lives on job-config's hosts.
extension DesiredFleet {
    /// What the release's deploy file (`catalog.deployFile`) says: per service, the JVM options.
    struct DeployFileOptions {
        /// The deploy file (absolute); nil when there is none.
        var file: String?
        /// Each entry's `args` up to `-jar`, split at spaces as upstream's start command does.
        var options: [String: [String]] = [:]
        /// The line of each entry's `args`, for messages.
        var lines: [String: Int] = [:]
        var issues: [ConfigIssue] = []
    }

    /// The JVM options per service in the release's deploy file. Empty when the catalog names no
    /// deploy file or the release does not ship it.
    static func deployOptions(catalog: ServiceCatalog, releaseDir: String) -> DeployFileOptions {
        guard let relative = catalog.deployFile else { return DeployFileOptions() }
        let path = "\(releaseDir)/\(relative)"
        guard FileManager.default.fileExists(atPath: path) else { return DeployFileOptions() }
        do {
            let entries = try YAMLReader.read(path: path) { root, reader -> [(String, [String], Int?)]? in
                guard let top = reader.mapping(root, at: "") else { return nil }
                guard let node = top["services"], case .sequence(let items) = node else {
                    reader.report(top.node, "services", "must be a list of services with name and args")
                    return nil
                }
                var result: [(String, [String], Int?)] = []
                for (index, item) in items.enumerated() {
                    guard let entry = reader.mapping(item, at: "services[\(index)]") else { continue }
                    guard let name = reader.string(entry, "name", required: true),
                          let args = reader.string(entry, "args", required: true) else { continue }
                    let words = args.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
                    result.append((name, Array(words.prefix { $0 != "-jar" }), entry["args"]?.mark?.line))
                }
                return result
            }
            var found = DeployFileOptions(file: path)
            for (name, options, line) in entries where found.options[name] == nil {
                found.options[name] = options
                found.lines[name] = line
            }
            return found
        } catch let error as ConfigError {
            return DeployFileOptions(file: path, issues: error.issues)
        } catch {
            return DeployFileOptions(file: path, issues: [ConfigIssue(file: path, field: "", message: "cannot be read: \(error)")])
        }
    }

    /// The problem with placing `service`, which the catalog does not have.
    static func unknownService(_ placement: FleetManifest.Placement, manifest: FleetManifest,
                               catalog: ServiceCatalog) -> ConfigIssue {
        let field = "services.\(placement.service)"
        if let why = catalog.removed[placement.service] {
            let line = catalog.line.map { " (\($0.text) \($0.mode))" } ?? ""
            return ConfigIssue(file: manifest.path, line: placement.line, field: field,
                               message: "is not part of this release\(line): \(why); remove it from the placement")
        }
        return ConfigIssue(file: manifest.path, line: placement.line, field: field,
            message: "is not in the catalog \(catalog.path); services there: \(catalog.services.map(\.name).joined(separator: ", "))")
    }

    /// Renders every `served_by` file of every placed service onto each host of the service
    /// that serves it, as `served` copies on the consumer's instances (their revision covers
    /// them, so a change restarts the consumer, not the server).
    static func attachServed(_ instances: inout [DesiredInstance], manifest: FleetManifest, catalog: ServiceCatalog,
                             templates: [String: Template], values: [String: String], secretKeys: [String]) -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        var rendered: [String: [DesiredFile]] = [:]
        for definition in catalog.services where instances.contains(where: { $0.service == definition.name }) {
            var files: [DesiredFile] = []
            for config in definition.configs {
                guard let owner = config.servedBy, let template = templates[config.template] else { continue }
                let hosts = manifest.hosts(of: owner)
                if hosts.isEmpty {
                    issues.append(ConfigIssue(file: catalog.path, line: definition.line, field: "services.\(definition.name).config",
                        message: "\(config.dest) is served to \(definition.name) by \(owner), which the placement does not run; place \(owner) too"))
                }
                for host in hosts {
                    do {
                        let bytes = Array(try template.render(hostValues(host, values)).utf8)
                        var file = DesiredFile(remotePath: "\(host.bkHome)/\(config.dest)", content: bytes,
                                               sha256: Checksum.sha256(bytes), mode: 0o640, source: template.file,
                                               secretLines: template.secretLines { Secrets.isSecret($0, extra: Set(secretKeys)) },
                                               templateLines: template.lines)
                        file.servedOn = host.name
                        files.append(file)
                    } catch let error as ConfigError {
                        issues += error.issues
                    } catch {}
                }
            }
            rendered[definition.name] = files
        }
        for index in instances.indices {
            guard let served = rendered[instances[index].service], !served.isEmpty else { continue }
            instances[index].served = served
            instances[index].spec.revision = revision(of: instances[index].spec, files: instances[index].files + served, key: nil)
        }
        return issues
    }

    /// The files the controller keeps on `host`: its instances' own and those it holds for
    /// services it serves.
    public func files(on host: String) -> [DesiredFile] {
        instances(on: host).flatMap(\.files) + served(on: host).map(\.file)
    }

    /// The served files `host` holds, with the service each is for (once per service and path).
    public func served(on host: String) -> [(service: String, file: DesiredFile)] {
        var seen = Set<String>()
        var result: [(String, DesiredFile)] = []
        for instance in instances {
            for file in instance.served where file.servedOn == host && seen.insert("\(instance.service) \(file.remotePath)").inserted {
                result.append((instance.service, file))
            }
        }
        return result
    }
}
