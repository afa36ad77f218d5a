/// A command's manifest, read and validated once with `--forks` applied, and the hosts
/// `--hosts` names. Loading it touches no host.
struct LoadedManifest: Sendable {
    /// The validated manifest (its hosts' `consul` set once the catalog is known).
    var manifest: FleetManifest
    /// The host names `--hosts` gave, or nil for every host.
    let hostNames: [String]?

    /// Reads and validates the manifest at `path`; every problem comes back at once, as a
    /// `ConfigError` with file, line and field.
    static func load(path: String, forks: Int? = nil, hostNames: [String]? = nil) throws -> LoadedManifest {
        var manifest = try FleetManifest.load(path: path)
        if let forks { manifest.ssh.forks = forks }
        return LoadedManifest(manifest: manifest, hostNames: hostNames)
    }

    /// The hosts `--hosts` names, in manifest order (all when absent); a name the manifest
    /// does not have is a `UsageError` listing the ones it has.
    func selectedHosts() throws(UsageError) -> [FleetManifest.Host] {
        guard let hostNames else { return manifest.hosts }
        let unknown = hostNames.filter { manifest.host(named: $0) == nil }
        if !unknown.isEmpty {
            throw UsageError(message: "--hosts: \(unknown.joined(separator: ", ")) not in \(manifest.path); hosts are: \(manifest.hosts.map(\.name).joined(separator: ", "))")
        }
        return manifest.hosts.filter { hostNames.contains($0.name) }
    }
}
