/// `jobfleet plan --json`: the plan as one JSON object (keys snake_case when printed): the
/// release, per host what would be uploaded, written, started, restarted, stopped or waited
/// for, the waves and the summary line. File contents and diffs are left out.
public struct PlanJSON: Encodable, Sendable {
    /// The release the plan deploys.
    public struct Release: Encodable, Sendable {
        public var version: String?
        public var tarball: String?
        public var sha256: String?
        public var root: String

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(version, forKey: .version)
            try c.encode(tarball, forKey: .tarball)
            try c.encode(sha256, forKey: .sha256)
            try c.encode(root, forKey: .root)
        }

        enum CodingKeys: String, CodingKey { case version, tarball, sha256, root }
    }

    /// One host's part of the plan.
    public struct Host: Encodable, Sendable {
        public var host: String
        /// False when the host was not reached: nothing is planned for it (`notReached` says why).
        public var reached: Bool
        public var notReached: String?
        /// Set when the plan cannot be carried out there: the uploads do not fit on its disk, or
        /// a managed file is a symbolic link (reasons joined by `; `).
        public var cannot: String?
        public var uploads: [Upload]
        public var files: [File]
        /// Starts and restarts (instances with nothing to do are left out).
        public var changes: [Change]
        public var stops: [String]
        /// Current instances the deploy would wait for.
        public var waits: [Change]
    }

    public struct Upload: Encodable, Sendable {
        public var service: String
        public var release: String
        public var bytes: UInt64
    }

    public struct File: Encodable, Sendable {
        public var service: String
        public var path: String
        /// `create` or `update`.
        public var action: String
    }

    public struct Change: Encodable, Sendable {
        public var service: String
        /// `start`, `restart` or `wait`.
        public var action: String
        public var reasons: [String]
    }

    public var fleet: String
    public var order: String
    public var release: Release?
    public var hasChanges: Bool
    public var hosts: [Host]
    /// Waves of services with something to do, in start order.
    public var waves: [[String]]
    public var summary: String

    /// The JSON form of `plan` for `fleet`, deploying `release`.
    public init(_ plan: Plan, fleet: String, release: ResolvedRelease?) {
        self.fleet = fleet
        order = plan.order.rawValue
        self.release = release.map { Release(version: $0.version, tarball: $0.tarball, sha256: $0.sha256, root: $0.root) }
        hasChanges = plan.hasChanges
        hosts = plan.hosts.map { host in
            Host(host: host.host.name, reached: host.unreached == nil, notReached: host.unreached, cannot: host.cannot.isEmpty ? nil : host.cannot.joined(separator: "; "),
                 uploads: host.uploads.map { Upload(service: $0.service, release: $0.id, bytes: $0.size) },
                 files: host.files.map { File(service: $0.service, path: $0.file.remotePath, action: $0.exists ? "update" : "create") },
                 changes: host.changes.filter { $0.action != .none }.map {
                     Change(service: $0.instance.service, action: $0.action.rawValue, reasons: $0.reasons)
                 },
                 stops: host.stops,
                 waits: host.settling.map {
                     Change(service: $0.instance.service, action: "wait", reasons: [$0.settling ?? "not ready"])
                 })
        }
        waves = plan.waves
            .map { wave in wave.filter { service in plan.changes(of: service).contains { $0.action != .none } } }
            .filter { !$0.isEmpty }
        summary = PlanText.summary(plan)
    }
}
