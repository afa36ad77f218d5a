import Shared

/// What a host has now, as its agent and its file system report it.
public struct ObservedHost: Sendable {
    public var host: FleetManifest.Host
    /// The agent's status of every service it knows, by name.
    public var services: [String: ServiceStatus]
    /// Releases whose jar is complete on the host, as `service/releaseID`.
    public var releases: Set<String>
    /// SHA-256 of the managed files that exist, by remote path.
    public var files: [String: String]
    /// Current content of managed files that differ from what is desired (for diffs).
    public var fileContents: [String: [UInt8]]
    /// Free space where each release jar would be written, by the jar's remote path.
    public var diskFree: [String: DiskFree]
    /// Managed paths that are symbolic links on the host (see `HostPlan.symlinks`).
    public var symlinks: Set<String> = []
    /// The host's facts from its agent's `hello` (which java services will run), when known.
    public var facts: HostFacts? = nil
    /// Why services cannot run as the host's `runAs` account (from the agent's hello); nil
    /// when they can or the agent was not asked.
    public var accountProblem: String?
    /// Why no Consul agent answers at the host's `consul` endpoint (from the agent's hello);
    /// nil when one does, or the line needs none, or the agent was not asked.
    public var consulProblem: String?

    public init(host: FleetManifest.Host, services: [String: ServiceStatus] = [:], releases: Set<String> = [],
                files: [String: String] = [:], fileContents: [String: [UInt8]] = [:], diskFree: [String: DiskFree] = [:]) {
        self.host = host
        self.services = services
        self.releases = releases
        self.files = files
        self.fileContents = fileContents
        self.diskFree = diskFree
    }

    /// True when `artifact` is already complete on this host.
    public func hasRelease(_ artifact: ReleaseArtifact) -> Bool {
        releases.contains("\(artifact.service)/\(artifact.id)")
    }
}
