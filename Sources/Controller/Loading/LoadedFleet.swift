import Foundation
/// Everything a command about services reads before it contacts a host: the manifest, the
/// service catalog it names, the env file, and the desired fleet built from them.
struct LoadedFleet: Sendable {
    /// The manifest and the `--hosts` selection.
    let input: LoadedManifest
    /// The service catalog the manifest names.
    let catalog: ServiceCatalog
    /// Every instance the manifest places, with its spec and rendered files.
    let desired: DesiredFleet
    /// SHA-256 of local files (release jars, the agent binary), remembered between runs.
    let checksums: ChecksumCache

    /// The validated manifest.
    var manifest: FleetManifest { input.manifest }

    /// Reads the catalog and env file `input`'s manifest names, builds the desired fleet and
    /// checks that each of `services` is in the catalog. Problems in the files come back as
    /// a `ConfigError` carrying all of them; an unknown service as a `UsageError`. Jar digests
    /// come from `checksums`, which is saved for the next run.
    static func load(_ input: LoadedManifest, services: [String] = [],
                     checksums: ChecksumCache = ChecksumCache(file: ChecksumCache.defaultFile)) throws -> LoadedFleet {
        let manifest = input.manifest
        guard let catalogPath = manifest.catalogPath else {
            throw ConfigError(issues: [ConfigIssue(file: manifest.path, field: "catalog",
                message: "is required: name the service catalog, e.g. deploy/bk-job/catalog.yaml")])
        }
        let version = manifest.release.flatMap { try? String(contentsOfFile: "\($0.dir)/VERSION", encoding: .utf8) }?
            .split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) }
        let catalog = try ServiceCatalog.load(path: catalogPath, version: version, mode: manifest.release?.mode ?? "stable",
                                              manifest: manifest.path)
        let env = try manifest.release.flatMap { release in
            let paths = releaseDefaults(release.dir) + release.envFiles
            return paths.isEmpty ? nil : try EnvFile.load(paths: paths, undefined: release.undefined)
        }
        let desired = try DesiredFleet.build(manifest: manifest, catalog: catalog, env: env, checksums: checksums)
        checksums.save()
        let fleet = LoadedFleet(input: input, catalog: catalog, desired: desired, checksums: checksums)
        for service in services { try fleet.checkService(service) }
        return fleet
    }

    /// The release's own `support-files/templates/job.env`, when it ships one: upstream's
    /// defaults, read before the manifest's env files so that the site's values win.
    static func releaseDefaults(_ dir: String) -> [String] {
        let path = "\(dir)/support-files/templates/job.env"
        return FileManager.default.fileExists(atPath: path) ? [path] : []
    }

    /// The hosts `--hosts` names (all when absent); see `LoadedManifest.selectedHosts()`.
    func selectedHosts() throws(UsageError) -> [FleetManifest.Host] {
        try input.selectedHosts()
    }

    /// Checks a service name against the catalog.
    func checkService(_ name: String) throws(UsageError) {
        guard catalog.service(name) != nil else {
            throw UsageError(message: "unknown service '\(name)'; services in \(catalog.path): \(catalog.services.map(\.name).joined(separator: ", "))")
        }
    }
}
