/// A service's jar in the local release directory, identified by its content.
public struct ReleaseArtifact: Sendable, Equatable {
    /// Service the jar belongs to.
    public var service: String
    /// The jar on the controller's machine (absolute).
    public var localPath: String
    /// Hex SHA-256 of the jar.
    public var sha256: String
    /// Size in bytes.
    public var size: UInt64

    /// The release id: the directory name under `releases/` on hosts.
    public var id: String { String(sha256.prefix(16)) }

    public init(service: String, localPath: String, sha256: String, size: UInt64) {
        self.service = service
        self.localPath = localPath
        self.sha256 = sha256
        self.size = size
    }
}

/// A file the controller keeps in place on a host: a rendered configuration or an ops script.
public struct DesiredFile: Sendable, Equatable {
    /// Where it goes on the host (absolute).
    public var remotePath: String
    /// Its exact bytes.
    public var content: [UInt8]
    /// Hex SHA-256 of `content`.
    public var sha256: String
    /// Permission bits.
    public var mode: UInt32
    /// Where it came from (a template or the release), for messages.
    public var source: String
    /// Lines (0-based) rendered from a template line that holds a secret placeholder: a diff
    /// shows them only as changed, never their text.
    public var secretLines: Set<Int> = []
    /// The lines of the template it was rendered from (empty for a file copied from the
    /// release): a diff places each line of the host's old file among them.
    public var templateLines: [String] = []
    /// For configuration one service serves to another (job-config's `job-X/job-X.yml`): the
    /// host that holds it. Nil for a file of the instance's own host.
    public var servedOn: String? = nil
}
