import Foundation
import Shared

/// A `FleetHost` reached over one SSH session: the agent through `jobfleet-agent rpc` on a
/// stream, files by verified SFTP uploads, and a look at the host through one short script.
public final class SSHFleetHost: FleetHost {
    public let host: FleetManifest.Host
    let connection: any HostConnection
    let agent: AgentChannel
    /// What `hello` said when the channel opened.
    public let hello: HelloResult

    init(host: FleetManifest.Host, connection: any HostConnection, agent: AgentChannel, hello: HelloResult) {
        self.host = host
        self.connection = connection
        self.agent = agent
        self.hello = hello
    }

    public func call(_ body: AgentRequest.Body) async throws -> AgentResponse.Body {
        try await agent.call(body)
    }

    /// The revision key the agent gave in its hello.
    public var revisionKey: [UInt8]? { DesiredFleet.revisionKey(hex: hello.agent.revisionKey) }
    public var facts: HostFacts? { hello.host }

    /// Sets the fencing token sent with changing requests (after the lease is acquired).
    public func useFence(_ token: UInt64?) async { await agent.setFence(token) }

    public func inventory(artifacts: [(ReleaseArtifact, String)], files: [DesiredFile]) async throws -> Inventory {
        var args: [String] = []
        for (_, path) in artifacts { args += ["R:\(path)", "D:\(path)"] }
        for file in files { args.append("F:\(file.remotePath)") }
        let result = try await connection.exec(RemoteCommand(["sh", "-c", HostScripts.inventory, "inventory"] + args))
        guard result.succeeded else {
            throw HostFailure(host: host.label, message: "could not list releases and files (\(result.status)): \(result.stderrText)")
        }
        var inventory = HostScripts.parseInventory(result.stdoutText, artifacts: artifacts)
        let differing = files.filter { inventory.files[$0.remotePath] != nil && inventory.files[$0.remotePath] != $0.sha256 }
        if !differing.isEmpty {
            inventory.contents = try await read(differing.map(\.remotePath))
        }
        return inventory
    }

    /// Reads small remote files whole (for diffs and revert).
    func read(_ paths: [String]) async throws -> [String: [UInt8]] {
        let result = try await connection.exec(RemoteCommand(["sh", "-c", HostScripts.cat, "cat"] + paths))
        guard result.succeeded else {
            throw HostFailure(host: host.label, message: "could not read \(paths.joined(separator: ", ")): \(result.stderrText)")
        }
        return HostScripts.parseCat(result.stdout)
    }

    /// Sends the jars as chunks through `jobfleet-agent receive` (``ChunkedPush``): the host
    /// says which chunks it lacks, gets only those, and builds and verifies each jar. A jar the
    /// host could not build because chunks in its store were corrupt is sent again once: the
    /// host removed those chunks, so the second session sends them.
    @discardableResult
    public func upload(_ artifacts: [(artifact: ReleaseArtifact, remotePath: String)],
                       progress: (@Sendable (UInt64, UInt64) -> Void)?) async throws -> UploadStats {
        var pending: [ChunkedPush.Item] = []
        for item in artifacts {
            let file = try await ChunkLibrary.shared.file(path: item.artifact.localPath, sha256: item.artifact.sha256,
                                                          size: item.artifact.size)
            pending.append(ChunkedPush.Item(file: file, remotePath: item.remotePath, mode: 0o644))
        }
        let push = ChunkedPush(hostLabel: host.label, agentPath: AgentBinary.remotePath(on: host), home: host.bkHome)
        var stats = UploadStats(placedBytes: 0, sentBytes: 0)
        for attempt in 1...2 {
            let outcome: ChunkedPush.Outcome
            do {
                outcome = try await push.run(pending, over: connection, progress: progress)
            } catch {
                throw await spaceFailure(for: artifacts) ?? HostFailure(host: host.label, message: "upload failed: \(error)",
                                                                        unreachable: HostFailure.isUnreachable(error))
            }
            stats.sentBytes += outcome.streamBytes
            stats.placedBytes += pending.filter { outcome.placed.contains($0.remotePath) }.reduce(0) { $0 + $1.file.recipe.size }
            if outcome.failed.isEmpty { return stats }
            let resend = outcome.failed.filter { !$0.corrupt.isEmpty }
            if attempt == 2 || resend.count != outcome.failed.count {
                let first = outcome.failed[0]
                throw HostFailure(host: host.label, message: "upload of \(first.path) failed: \(first.message); nothing was placed there"
                                      + (outcome.failed.count > 1 ? " (and \(outcome.failed.count - 1) more file(s))" : ""))
            }
            let again = Set(resend.map(\.path))
            pending = pending.filter { again.contains($0.remotePath) }
        }
        return stats
    }

    /// A failure saying which file system is too full for `artifacts`, when one is; nil when
    /// they fit (the upload failed for another reason) or the host cannot say.
    func spaceFailure(for artifacts: [(artifact: ReleaseArtifact, remotePath: String)]) async -> HostFailure? {
        let args = artifacts.map { "D:\($0.remotePath)" }
        guard let result = try? await connection.exec(RemoteCommand(["sh", "-c", HostScripts.inventory, "inventory"] + args)),
              result.succeeded else { return nil }
        let free = HostScripts.parseInventory(result.stdoutText, artifacts: []).free
        let observed = ObservedHost(host: host, diskFree: free)
        return Planner.spaceShortfall(artifacts.map { ($0.artifact.size, $0.remotePath) }, on: observed)
            .map { HostFailure(host: host.label, message: "upload failed: \($0)") }
    }

    public func write(_ files: [DesiredFile]) async throws {
        guard !files.isEmpty else { return }
        let staging = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: staging) }
        var requests: [UploadRequest] = []
        for (index, file) in files.enumerated() {
            let local = "\(staging)/\(index)"
            guard FileManager.default.createFile(atPath: local, contents: Data(file.content),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw HostFailure(host: host.label, message: "cannot stage \(file.remotePath) in \(staging)")
            }
            requests.append(UploadRequest(localPath: local, remotePath: file.remotePath, mode: file.mode, sha256: file.sha256,
                                          group: serviceGroup(for: file)))
        }
        _ = try await connection.upload(requests, timeout: nil, progress: nil)
    }

    /// The Consul agent at `host.consul`, as the agent's hello found it.
    public var consulAgent: ConsulAgentFacts? {
        guard let consul = hello.host.consul, consul.endpoint == host.consul else { return nil }
        return consul
    }

    /// The account services run as here, as the agent's hello found it.
    public var serviceAccount: AccountFacts? {
        hello.host.accounts?.first { $0.name == host.runAs }
    }

    /// Every file `write` places is for the services. One that others may not read (rendered
    /// configuration, 0640, holding credentials) goes to the services' group, so they can read
    /// it and nobody else can; ops scripts (0755) stay the login user's.
    func serviceGroup(for file: DesiredFile) -> String? {
        guard file.mode & 0o004 == 0, file.mode & 0o040 != 0, let account = serviceAccount, account.problem == nil else { return nil }
        return account.group ?? account.gid.map(String.init)
    }

    public func restore(path: String, content: [UInt8]?, mode: UInt32) async throws {
        if let content {
            try await write([DesiredFile(remotePath: path, content: content, sha256: Checksum.sha256(content),
                                         mode: mode, source: "earlier version")])
        } else {
            let result = try await connection.exec(RemoteCommand("rm", "-f", "--", path))
            guard result.succeeded else {
                throw HostFailure(host: host.label, message: "could not remove \(path): \(result.stderrText)")
            }
        }
    }

    /// Ends the agent conversation and the session.
    public func close() async {
        await agent.close()
        await connection.close()
    }
}
