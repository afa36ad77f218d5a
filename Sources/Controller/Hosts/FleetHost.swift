import Shared

/// Everything the controller does to one host during a command: agent requests, uploads into
/// content-addressed releases, managed files, and a look at what is installed. One
/// implementation runs over SSH; tests of the rollout logic use a scripted one.
public protocol FleetHost: AnyObject, Sendable {
    /// The manifest's entry for this host.
    var host: FleetManifest.Host { get }

    /// Sends one request to the host's agent and returns the result, or throws the agent's
    /// `AgentFailure` or a transport error. Changing requests carry the held lease's fence.
    func call(_ body: AgentRequest.Body) async throws -> AgentResponse.Body

    /// Which of `artifacts` are complete on the host, and the SHA-256 (and, when it differs
    /// from `expected`, the content) of each managed file.
    func inventory(artifacts: [(ReleaseArtifact, String)], files: [DesiredFile]) async throws -> Inventory

    /// Uploads each jar to its release path (verified, then renamed into place); says how
    /// many bytes were placed and how many had to be sent.
    @discardableResult
    func upload(_ artifacts: [(artifact: ReleaseArtifact, remotePath: String)],
                progress: (@Sendable (_ sent: UInt64, _ total: UInt64) -> Void)?) async throws -> UploadStats

    /// Replaces managed files atomically (temporary name, fsync, rename), with their modes.
    func write(_ files: [DesiredFile]) async throws

    /// Restores a file's earlier content (for revert), or removes it when it did not exist.
    func restore(path: String, content: [UInt8]?, mode: UInt32) async throws

    /// Sends `token` as the fence of every changing request from now on (once the lease is
    /// held), or no fence when nil (once it is given back).
    func useFence(_ token: UInt64?) async

    /// Ends the conversation with the host; later calls fail, and calling it twice is harmless.
    func close() async

    /// The key the host's agent gave for revision fingerprints, when it gave one.
    var revisionKey: [UInt8]? { get }
    /// The host's facts from the agent's `hello`, when the host keeps them.
    var facts: HostFacts? { get }

    /// Whether services can run as `host.runAs` here, as the agent said; nil when it was not asked.
    var serviceAccount: AccountFacts? { get }

    /// What answers at `host.consul` here, as the agent found it; nil when it was not asked
    /// (the line needs no Consul) or the agent is older than the question.
    var consulAgent: ConsulAgentFacts? { get }
}

extension FleetHost {
    /// Hosts that do not report a key get unkeyed revisions.
    public var revisionKey: [UInt8]? { nil }
    /// Hosts that keep no hello facts are not judged on them.
    public var facts: HostFacts? { nil }

    /// Hosts that do not report accounts are not checked.
    public var serviceAccount: AccountFacts? { nil }

    /// Hosts that do not report their Consul agent are not checked.
    public var consulAgent: ConsulAgentFacts? { nil }
}

/// What `FleetHost.inventory` found.
public struct Inventory: Sendable, Equatable {
    /// `service/releaseID` of every complete release asked about.
    public var releases: Set<String>
    /// SHA-256 by path, for managed files that exist.
    public var files: [String: String]
    /// Current bytes of managed files that exist and differ from what is desired.
    public var contents: [String: [UInt8]]
    /// Managed paths that are symbolic links: neither hashed nor read.
    public var symlinks: Set<String> = []

    /// Free space where each asked-for jar would be written, by the jar's remote path.
    public var free: [String: DiskFree]

    public init(releases: Set<String> = [], files: [String: String] = [:], contents: [String: [UInt8]] = [:],
                free: [String: DiskFree] = [:]) {
        self.releases = releases
        self.files = files
        self.contents = contents
        self.free = free
    }
}

/// The free space of the file system a path would be written to.
public struct DiskFree: Sendable, Equatable {
    /// Bytes an unprivileged writer may still use.
    public var availableBytes: UInt64
    /// Where that file system is mounted.
    public var mount: String

    public init(availableBytes: UInt64, mount: String) {
        self.availableBytes = availableBytes
        self.mount = mount
    }
}

/// An agent answered with a result of another kind than asked for.
public struct UnexpectedAgentReply: Error, CustomStringConvertible {
    public var host: String
    public var expected: AgentMethod
    public var description: String { "\(host): the agent answered a \(expected.rawValue) request with something else" }
}

extension FleetHost {
    public func status(services: [String]? = nil, logLines: Int? = nil) async throws -> StatusResult {
        guard case .status(let result) = try await call(.status(StatusRequest(services: services, logLines: logLines))) else {
            throw UnexpectedAgentReply(host: host.name, expected: .status)
        }
        return result
    }

    public func hello(client: String) async throws -> HelloResult {
        guard case .hello(let result) = try await call(.hello(HelloRequest(client: client, javaHome: host.javaHome))) else {
            throw UnexpectedAgentReply(host: host.name, expected: .hello)
        }
        return result
    }

    @discardableResult
    public func apply(_ specs: [ServiceSpec], prune: Bool) async throws -> ApplyResult {
        guard case .apply(let result) = try await call(.apply(ApplyRequest(services: specs, prune: prune))) else {
            throw UnexpectedAgentReply(host: host.name, expected: .apply)
        }
        return result
    }

    @discardableResult
    public func activate(_ service: String, release: String) async throws -> ActivateResult {
        guard case .activate(let result) = try await call(.activate(ActivateRequest(service: service, release: release))) else {
            throw UnexpectedAgentReply(host: host.name, expected: .activate)
        }
        return result
    }

    /// Starts, stops or restarts `services`, waiting for stops to finish.
    @discardableResult
    public func control(_ method: AgentMethod, _ services: [String]) async throws -> ControlResult {
        let request = ControlRequest(services: services)
        let body: AgentRequest.Body
        switch method {
        case .start: body = .start(request)
        case .stop: body = .stop(request)
        default: body = .restart(request)
        }
        switch try await call(body) {
        case .start(let result), .stop(let result), .restart(let result): return result
        default: throw UnexpectedAgentReply(host: host.name, expected: method)
        }
    }

    public func logs(_ request: LogsRequest) async throws -> LogsResult {
        guard case .logs(let result) = try await call(.logs(request)) else {
            throw UnexpectedAgentReply(host: host.name, expected: .logs)
        }
        return result
    }

    public func lease(_ request: LeaseRequest) async throws -> LeaseResult {
        guard case .lease(let result) = try await call(.lease(request)) else {
            throw UnexpectedAgentReply(host: host.name, expected: .lease)
        }
        return result
    }
}

/// What an upload to one host placed, and what it sent to do so.
public struct UploadStats: Sendable, Hashable {
    /// Bytes of the files placed.
    public var placedBytes: UInt64
    /// Bytes sent over SSH for them: chunk data the host lacked, or whole files.
    public var sentBytes: UInt64

    public init(placedBytes: UInt64, sentBytes: UInt64) {
        self.placedBytes = placedBytes
        self.sentBytes = sentBytes
    }
}
