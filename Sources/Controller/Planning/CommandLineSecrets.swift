/// JVM options become part of the service's command line, which every user of the host reads
/// with `ps` or in /proc/PID/cmdline. A secret placeholder there would publish the secret on
/// each host, so it is refused before anything is contacted, with where it is and what to do.
enum CommandLineSecrets {
    /// Where a list of JVM options comes from, for messages.
    struct Source {
        /// The file the options are written in.
        var file: String
        /// The field holding them (`services.job-manage.java_opts`, `release.java_opts`).
        var field: String
        /// The services whose command line they join.
        var services: [String]
        /// The line of an option in `file`, when known.
        var line: (String) -> Int?
    }

    /// One issue per secret placeholder in `options`; `isSecret` is the fleet's rule for keys
    /// (`Secrets.isSecret` with `release.secret_keys`).
    static func issues(in options: [String], from source: Source, isSecret: (String) -> Bool) -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        for option in options {
            let template = Template(file: source.file, text: option)
            for key in template.placeholders.map(\.key) where isSecret(key) {
                let whose = source.services.count == 1 ? "\(source.services[0])'s command line"
                    : "the command line of \(source.services.joined(separator: ", "))"
                issues.append(ConfigIssue(file: source.file, line: source.line(option), field: source.field, message: """
                    '\(option)' puts secret \(key) on \(whose), where every user of the host can read it (ps); \
                    pass it through a configuration template, or the service's env in the catalog, instead
                    """))
            }
        }
        return issues
    }

    /// Every secret placeholder in the JVM options the placed services would run with: the
    /// deploy file's `args` for the services it lists, the catalog's `java_opts` (with its
    /// defaults) for the others, and `release.java_opts`, which joins every one.
    static func issues(manifest: FleetManifest, release: FleetManifest.Release, catalog: ServiceCatalog,
                       deploy: DesiredFleet.DeployFileOptions) -> [ConfigIssue] {
        let placed = manifest.services.map(\.service)
        let extra = Set(release.secretKeys)
        let isSecret = { (key: String) in Secrets.isSecret(key, extra: extra) }
        var issues: [ConfigIssue] = []
        for name in placed {
            guard let definition = catalog.service(name) else { continue }
            if let options = deploy.options[name], let file = deploy.file {
                let line = deploy.lines[name]
                issues += Self.issues(in: options, from: Source(file: file, field: "args", services: [name], line: { _ in line }),
                                      isSecret: isSecret)
            } else {
                let source = Source(file: catalog.path, field: "services.\(name).java_opts", services: [name],
                                    line: { definition.javaOptionLines[$0] ?? definition.line })
                issues += Self.issues(in: definition.javaOptions, from: source, isSecret: isSecret)
            }
        }
        let everyService = Source(file: manifest.path, field: "release.java_opts", services: placed,
                                  line: { release.javaOptionLines[$0] })
        return issues + Self.issues(in: release.javaOptions, from: everyService, isSecret: isSecret)
    }
}
