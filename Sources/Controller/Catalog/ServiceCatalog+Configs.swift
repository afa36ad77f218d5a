import Foundation
import Shared
import Yams

extension ServiceCatalog {
    /// A service's `config`: one mapping or a list of them, each `template` (a path in the
    /// release, which may hold upstream's `#`), `dest` (under BK_HOME; when omitted, what the
    /// template's `#etc#job#…` name encodes) and `served_by`.
    static func parseConfigs(_ node: Node?, field: String, reader: YAMLReader) -> [ServiceDefinition.ConfigFile] {
        guard let node else { return [] }
        let items: [Node] = if case .sequence(let seq) = node { Array(seq) } else { [node] }
        var configs: [ServiceDefinition.ConfigFile] = []
        for (index, item) in items.enumerated() {
            let itemField = items.count == 1 ? "\(field).config" : "\(field).config[\(index)]"
            guard let config = reader.mapping(item, at: itemField) else { continue }
            reader.rejectUnknownKeys(config, allowed: ["template", "dest", "served_by"])
            guard let template = templatePath(config, reader: reader) else { continue }
            let dest: String
            if config["dest"] != nil {
                guard let given = relativePath(config, "dest", required: true, reader: reader) else { continue }
                dest = given
            } else if let derived = ServiceDefinition.ConfigFile.conventionalDest(of: template) {
                if let problem = SafeName.pathProblem(derived, absolute: false) {
                    reader.report(config["template"], config.path("template"),
                                  "names the destination '\(derived)', which \(problem); set dest")
                    continue
                }
                dest = derived
            } else {
                reader.report(config.node, config.path("dest"),
                              "is required: the template's name '\(template)' does not encode a destination (like #etc#job#application-manage.yml)")
                continue
            }
            var file = ServiceDefinition.ConfigFile(template: template, dest: dest)
            if let owner = reader.string(config, "served_by") {
                if SafeName.isServiceName(owner) {
                    file.servedBy = owner
                } else {
                    reader.report(config["served_by"], config.path("served_by"), "is not a service name, got '\(owner)'")
                }
            }
            configs.append(file)
        }
        return configs
    }

    /// A template path: relative, no `..`, and the characters of other paths plus `#`, which
    /// upstream's names use. It is only read on the controller; the destination stays strict.
    static func templatePath(_ map: YAMLReader.Mapping, _ key: String = "template", reader: YAMLReader) -> String? {
        guard let value = reader.string(map, key, required: true), !value.isEmpty else { return nil }
        if let problem = SafeName.pathProblem(value, absolute: false, alsoAllowed: "#") {
            reader.report(map[key], map.path(key), "\(problem) (got '\(value)')")
            return nil
        }
        return value
    }

    /// `applies_to`, `deploy_file` and `removed`.
    static func parseLine(_ top: YAMLReader.Mapping, into catalog: inout ServiceCatalog, reader: YAMLReader) {
        if let node = top["applies_to"], let map = reader.mapping(node, at: "applies_to") {
            reader.rejectUnknownKeys(map, allowed: ["versions", "mode"])
            let mode = reader.string(map, "mode") ?? "stable"
            if !["stable", "lite"].contains(mode) {
                reader.report(map["mode"], "applies_to.mode", "must be stable or lite, got '\(mode)'")
            }
            if let text = reader.string(map, "versions", required: true) {
                if let line = CatalogLine.parse(text, mode: mode) {
                    catalog.line = line
                } else {
                    reader.report(map["versions"], "applies_to.versions", "must look like <=3.3, 3.4-3.7 or >=3.8, got '\(text)'")
                }
            }
        }
        if top["deploy_file"] != nil {
            catalog.deployFile = templatePath(top, "deploy_file", reader: reader)
        }
        if let node = top["removed"], let map = reader.mapping(node, at: "removed") {
            for entry in map.entries {
                if let why = reader.scalar(entry.value, at: map.path(entry.key)) { catalog.removed[entry.key] = why }
                if catalog.service(entry.key) != nil {
                    reader.report(entry.keyNode, map.path(entry.key), "is also in services")
                }
            }
        }
        let names = Set(catalog.services.map(\.name))
        for service in catalog.services {
            for config in service.configs {
                if let owner = config.servedBy, !names.contains(owner) {
                    reader.reportAt(line: service.line, field: "services.\(service.name).config.served_by",
                                    message: "names '\(owner)', which is not in services")
                }
            }
        }
    }
}
