import Foundation
import Shared

/// Connects to hosts: SSH session, agent installed or upgraded when its binary differs from
/// ours, the agent's rpc channel opened and greeted. Hosts are handled in parallel, at most
/// `forks` at a time; one host's failure never stops the others.
public struct FleetConnector: Sendable {
    public var manifest: FleetManifest
    public var agent: AgentBinary
    public var connector: any HostConnector
    /// Called once per host as it finishes connecting.
    public var onConnected: (@Sendable (String, Result<Double, any Error>) -> Void)?
    /// Run for each host as soon as it is connected, while other hosts still connect.
    public var afterConnect: (@Sendable (SSHFleetHost) async -> Void)?

    public init(manifest: FleetManifest, agent: AgentBinary, connector: any HostConnector = LibSSH2Connector()) {
        self.manifest = manifest
        self.agent = agent
        self.connector = connector
    }

    /// Connects to `hosts` (all of the manifest's when nil).
    public func connect(_ hosts: [FleetManifest.Host]? = nil) async -> [String: Result<SSHFleetHost, any Error>] {
        let targets = hosts ?? manifest.hosts
        return await withTaskGroup(of: (String, Result<SSHFleetHost, any Error>).self) { group in
            var results: [String: Result<SSHFleetHost, any Error>] = [:]
            var pending = targets[...]
            func launch() {
                guard let host = pending.popFirst() else { return }
                group.addTask {
                    let clock = ContinuousClock(), start = clock.now
                    do {
                        let fleetHost = try await connectOne(host)
                        let elapsed = clock.now - start
                        onConnected?(host.name, .success(elapsed.seconds))
                        await afterConnect?(fleetHost)
                        return (host.name, .success(fleetHost))
                    } catch {
                        onConnected?(host.name, .failure(error))
                        return (host.name, .failure(error))
                    }
                }
            }
            for _ in 0..<max(1, manifest.ssh.forks) { launch() }
            for await (name, result) in group {
                results[name] = result
                launch()
            }
            return results
        }
    }

    /// One host: SSH session, then the agent's channel. The agent's hello carries the digest
    /// of the binary it runs; when the binary is missing (the rpc command cannot run) or is
    /// another build, ours is installed and the channel opened again.
    func connectOne(_ host: FleetManifest.Host) async throws -> SSHFleetHost {
        let connection = try await connector.connect(to: SSHTarget(host: host, ssh: manifest.ssh))
        do {
            let agentPath = AgentBinary.remotePath(on: host)
            if let (channel, hello) = try await openAgent(host, connection: connection, path: agentPath) {
                if hello.agent.binarySHA256 == agent.sha256 {
                    return SSHFleetHost(host: host, connection: connection, agent: channel, hello: hello)
                }
                await channel.close()
            }
            try await install(on: host, connection: connection, path: agentPath)
            guard let (channel, hello) = try await openAgent(host, connection: connection, path: agentPath) else {
                throw HostFailure(host: host.label, message: "the agent installed at \(agentPath) does not run")
            }
            guard hello.agent.binarySHA256 == agent.sha256 else {
                await channel.close()
                throw HostFailure(host: host.label, message: """
                    the agent at \(agentPath) still runs another build (\(hello.agent.binarySHA256 ?? "unknown") after \
                    installing \(agent.sha256)); stop it (pid \(hello.agent.pid)) and retry
                    """)
            }
            return SSHFleetHost(host: host, connection: connection, agent: channel, hello: hello)
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Runs `jobfleet-agent rpc` and says hello. Nil when the command cannot run at all (exit
    /// 126 or 127: no agent yet, or an unusable file), so the caller installs one.
    func openAgent(_ host: FleetManifest.Host, connection: any HostConnection,
                   path: String) async throws -> (AgentChannel, HelloResult)? {
        let stream = try await connection.openStream(RemoteCommand(path, "rpc", "--home", host.bkHome), timeout: nil)
        let channel = AgentChannel(hostLabel: host.label, stream: stream, answerTimeout: manifest.ssh.agentTimeout)
        let reply: AgentResponse.Body
        do {
            reply = try await channel.call(.hello(HelloRequest(client: "jobfleet \(JobFleetVersion.current)",
                                                               javaHome: host.javaHome, accounts: [host.runAs],
                                                               consul: host.consul)))
        } catch {
            let outcome = try? await stream.close()
            if let outcome, outcome.status == .exited(126) || outcome.status == .exited(127) { return nil }
            if let failure = error as? HostFailure, failure.unreachable { throw failure }
            let detail = outcome.map { " (\($0.status)) \($0.stderrTail)" } ?? ""
            throw HostFailure(host: host.label, message: "the agent did not answer: \(error)\(detail)",
                              unreachable: HostFailure.isUnreachable(error))
        }
        guard case .hello(let hello) = reply else {
            await channel.close()
            throw HostFailure(host: host.label, message: "the agent answered hello with something else")
        }
        return (channel, hello)
    }

    /// Uploads our agent binary and stops a daemon of another build, so the next `rpc` starts
    /// ours. Services keep running: the new daemon re-adopts them.
    func install(on host: FleetManifest.Host, connection: any HostConnection, path: String) async throws {
        try await connection.upload(UploadRequest(localPath: agent.localPath, remotePath: path, mode: 0o755,
                                                  sha256: agent.sha256))
        let stop = try await connection.exec(RemoteCommand(["sh", "-c", Self.stopOldAgent, "stop-agent",
                                                            "\(host.bkHome)/.jobfleet/agent.pid"]))
        guard stop.succeeded else {
            throw HostFailure(host: host.label, message: "could not stop the previous agent: \(stop.stderrText)")
        }
    }

    /// Sends SIGTERM to the agent named by the pid file (only if that pid really is an agent)
    /// and waits up to 10 s for it to go.
    static let stopOldAgent = """
        pid=$(cat "$1" 2>/dev/null) || exit 0
        case $pid in ''|*[!0-9]*) exit 0 ;; esac
        grep -q jobfleet-agent "/proc/$pid/cmdline" 2>/dev/null || exit 0
        kill -TERM "$pid" 2>/dev/null || exit 0
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        exit 0
        """
}
