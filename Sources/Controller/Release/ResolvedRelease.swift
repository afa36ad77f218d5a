/// A release as found on this machine: the folder to read jars and templates from, and what it is.
public struct ResolvedRelease: Sendable, Equatable, Encodable {
    /// The release root (absolute): the folder holding `VERSION`, `backend/` and `support-files/`.
    /// For a tarball, the `job/` folder of its cache entry.
    public var root: String
    /// The first line of `VERSION`, trimmed; nil when the release has none (or it is empty).
    public var version: String?
    /// The tarball `release.dir` names (absolute), nil for a folder.
    public var tarball: String?
    /// Hex SHA-256 of the tarball, nil for a folder.
    public var sha256: String?

    /// A release read from `root`.
    public init(root: String, version: String?, tarball: String? = nil, sha256: String? = nil) {
        self.root = root
        self.version = version
        self.tarball = tarball
        self.sha256 = sha256
    }

    /// `release 3.12.3 (job_ce-3.12.3.tgz, sha256 1a2b3c4d…)`, or `release 3.12.3 (/path/to/job)`
    /// for a folder; `release with no VERSION (…)` when it has none.
    public var label: String {
        let what = version.map { "release \($0)" } ?? "release with no VERSION"
        if let tarball, let sha256 {
            let name = tarball.split(separator: "/").last.map(String.init) ?? tarball
            return "\(what) (\(name), sha256 \(sha256.prefix(8))…)"
        }
        return "\(what) (\(root))"
    }
}
