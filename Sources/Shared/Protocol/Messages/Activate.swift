/// `activate` parameters: point `backend/<service>/<service>.jar` at `releases/<release>/`.
public struct ActivateRequest: Codable, Sendable, Equatable {
    /// Service name.
    public var service: String
    /// Release id: the directory name under `releases/` (sha256 prefix).
    public var release: String
    /// Releases to keep on disk, counting the active and previous ones (default 3, at least 2).
    public var keep: Int

    /// Activate `release` of `service`, keeping `keep` releases.
    public init(service: String, release: String, keep: Int = 3) {
        self.service = service
        self.release = release
        self.keep = keep
    }

    enum CodingKeys: String, CodingKey { case service, release, keep }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        service = try c.decode(String.self, forKey: .service)
        release = try c.decode(String.self, forKey: .release)
        keep = try c.decodeIfPresent(Int.self, forKey: .keep) ?? 3
    }
}

/// `activate` result.
public struct ActivateResult: Codable, Sendable, Equatable {
    /// Service name.
    public var service: String
    /// The release the link points at now.
    public var active: String
    /// The release it pointed at before (kept for rollback), if any.
    public var previous: String?
    /// Releases deleted to respect `keep`.
    public var removed: [String]
    /// True when the link already pointed at `active`.
    public var unchanged: Bool
    /// Builds an activate result.
    public init(service: String, active: String, previous: String?, removed: [String], unchanged: Bool) {
        self.service = service
        self.active = active
        self.previous = previous
        self.removed = removed
        self.unchanged = unchanged
    }
}
