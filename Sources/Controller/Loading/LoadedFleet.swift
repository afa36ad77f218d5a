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
    /// Where the release `release.dir` names was found (or unpacked), and its version.
    var release: ResolvedRelease?

    /// The validated manifest.
    var manifest: FleetManifest { input.manifest }

    /// Finds the release (unpacking a tarball into `releases` the first time), reads the catalog
    /// and env file `input`'s manifest names, builds the desired fleet from the release root and
    /// checks that each of `services` is in the catalog. Problems in the files come back as
    /// a `ConfigError` carrying all of them; an unknown service as a `UsageError`. Jar and
    /// tarball digests come from `checksums`, which is saved for the next run.
    static func load(_ input: LoadedManifest, services: [String] = [],
                     checksums: ChecksumCache = ChecksumCache(file: ChecksumCache.defaultFile),
                     releases: ReleaseCache = ReleaseCache()) throws -> LoadedFleet {
        var manifest = input.manifest
        guard let catalogPath = manifest.catalogPath else {
            throw ConfigError(issues: [ConfigIssue(file: manifest.path, field: "catalog",
                message: "is required: name the service catalog, e.g. deploy/bk-job/catalog.yaml")])
        }
        let release = try manifest.release.map {
            try ReleaseSource.resolve($0, manifestPath: manifest.path, checksums: checksums, cache: releases)
        }
        // The desired fleet reads jars and templates from the release root, wherever it is.
        if let release { manifest.release?.dir = release.root }
        let catalog = try ServiceCatalog.load(path: catalogPath, version: release?.version,
                                              mode: manifest.release?.mode ?? "stable", manifest: manifest.path)
        let env = try manifest.release.flatMap { release in
            let paths = releaseDefaults(release.dir) + release.envFiles
            return paths.isEmpty ? nil : try EnvFile.load(paths: paths, undefined: release.undefined)
        }
        var desired = try DesiredFleet.build(manifest: manifest, catalog: catalog, env: env, checksums: checksums)
        desired.setVersion(release?.version)
        checksums.save()
        // The hosts the command connects to ask their agent about Consul when the line needs it.
        var input = input
        for index in input.manifest.hosts.indices {
            input.manifest.hosts[index].consul = desired.manifest.hosts[index].consul
        }
        let fleet = LoadedFleet(input: input, catalog: catalog, desired: desired, checksums: checksums, release: release)
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
