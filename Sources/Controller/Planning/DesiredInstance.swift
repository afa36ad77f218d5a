import Shared

/// One service instance as it should be on one host: its release, its files and the spec the
/// agent runs it with.
public struct DesiredInstance: Sendable {
    public var host: FleetManifest.Host
    public var service: String
    public var artifact: ReleaseArtifact
    /// Rendered configuration files and the ops script.
    public var files: [DesiredFile]
    /// Its configuration as the hosts of the service serving it hold it (`servedOn` set): they
    /// are written there, and their change restarts this instance.
    public var served: [DesiredFile] = []
    /// The spec handed to the agent; `spec.revision` fingerprints everything above.
    public var spec: ServiceSpec
    /// The revision an earlier jobfleet, which did not key revisions, gave this same spec and
    /// files; kept in memory only, to recognise instances it deployed (see `isCurrent`).
    public var unkeyedRevision: String?
    /// Remote path of the release directory holding the jar.
    public var releaseDir: String
    /// Remote path of the jar inside `releaseDir`.
    public var releaseJar: String
    /// Services this one waits for.
    public var dependsOn: [String]
    /// How long it may take to become healthy.
    public var healthDeadline: Duration

    /// `service@host`, the way instances are named in messages.
    public var label: String { "\(service)@\(host.name)" }
}
