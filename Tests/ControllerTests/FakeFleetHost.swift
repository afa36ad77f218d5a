import Foundation
import Shared
@testable import Controller

/// A scripted host: an in-memory agent that becomes healthy after a few polls, and a journal of
/// what happened in which order across all fake hosts.
final class FakeFleetHost: FleetHost, @unchecked Sendable {
    let host: FleetManifest.Host
    let recorder: FakeRecorder
    /// The host's deployment lease.
    let leases: FakeLeaseBook
    /// Releases (`service/id`) whose instances never become healthy.
    var brokenReleases: Set<String> = []
    /// Polls before a started instance turns healthy.
    var pollsToHealthy = 2

    private let lock = NSLock()
    private var statuses: [String: ServiceStatus] = [:]
    private var specs: [String: ServiceSpec] = [:]
    private var polls: [String: Int] = [:]
    private(set) var files: [String: [UInt8]] = [:]
    private(set) var releases: Set<String> = []
    private var nextPid: Int32 = 100
    /// The fencing token changing requests would carry now.
    private(set) var fence: UInt64?
    /// Whether the session ended this host's connection.
    private(set) var closed = false

    init(host: FleetManifest.Host, recorder: FakeRecorder, leases: FakeLeaseBook = FakeLeaseBook()) {
        self.host = host
        self.recorder = recorder
        self.leases = leases
    }

    func call(_ body: AgentRequest.Body) async throws -> AgentResponse.Body {
        if case .lease(let request) = body {
            // As a transport that honours cancellation would: leases must be given back anyway.
            try Task.checkCancellation()
            return .lease(try leases.handle(request, host: host.label))
        }
        return lock.withLock { handle(body) }
    }

    private func handle(_ body: AgentRequest.Body) -> AgentResponse.Body {
        switch body {
        case .status(let request):
            let names = request.services ?? Array(statuses.keys)
            var result: [ServiceStatus] = []
            for name in names {
                guard var status = statuses[name] else { continue }
                if status.state == .running, status.health.state != .healthy {
                    polls[name, default: 0] += 1
                    let broken = brokenReleases.contains("\(name)/\(status.release ?? "")")
                    if broken && polls[name, default: 0] >= pollsToHealthy {
                        // What the real agent reports once a service keeps failing its checks.
                        status.state = .failed
                        status.failedReason = "health checks kept failing"
                        recorder.note("failed \(name)@\(host.name)")
                    } else if !broken && polls[name, default: 0] >= pollsToHealthy {
                        status.health = HealthStatus(state: .healthy, since: Date())
                        recorder.note("healthy \(name)@\(host.name)")
                    }
                    statuses[name] = status
                }
                result.append(status)
            }
            return .status(StatusResult(agent: AgentInfo(version: "test", protocolVersions: [1], pid: 1, startedAt: Date(),
                                                         bkHome: host.bkHome), at: Date(), lease: nil, services: result))
        case .apply(let request):
            for spec in request.services {
                specs[spec.name] = spec
                var status = statuses[spec.name] ?? ServiceStatus(name: spec.name, desired: .running, state: .stopped)
                status.revision = spec.revision
                status.desiredRelease = spec.release
                status.specCurrent = status.state != .running
                statuses[spec.name] = status
            }
            return .apply(ApplyResult(changes: [], services: []))
        case .activate(let request):
            var status = statuses[request.service] ?? ServiceStatus(name: request.service, desired: .running, state: .stopped)
            let previous = status.activeRelease
            status.activeRelease = request.release
            statuses[request.service] = status
            recorder.note("activate \(request.service)@\(host.name) \(request.release)")
            return .activate(ActivateResult(service: request.service, active: request.release, previous: previous,
                                            removed: [], unchanged: previous == request.release))
        case .start(let request), .restart(let request):
            for name in request.services {
                guard var status = statuses[name] else { continue }
                if status.state == .running {
                    status.lastExit = ExitRecord(at: Date(), code: 143, signal: nil, requested: true, stopStep: "SIGTERM",
                                                 statusKnown: true, ranSeconds: 1)
                }
                nextPid += 1
                status.state = .running
                status.pid = nextPid
                status.release = status.activeRelease
                status.specCurrent = true
                status.health = HealthStatus(state: .unknown)
                polls[name] = 0
                statuses[name] = status
                recorder.note("start \(name)@\(host.name) \(status.release ?? "-")")
            }
            return .start(ControlResult(services: request.services.compactMap { statuses[$0] }))
        case .stop(let request):
            for name in request.services {
                statuses[name]?.state = .stopped
                recorder.note("stop \(name)@\(host.name)")
            }
            return .stop(ControlResult(services: request.services.compactMap { statuses[$0] }))
        case .logs(let request):
            let file = ["service": "\(request.service).log", "error": "error.log", "console": "console.log"][request.source.rawValue]!
            return .logs(LogsResult(service: request.service, path: "/logs/\(request.service)/\(file)",
                                    lines: ["ERROR \(request.service) is not healthy"], truncated: false))
        case .hello, .lease:
            return .error(AgentFailure(.unknownMethod, "not scripted"))
        }
    }

    func inventory(artifacts: [(ReleaseArtifact, String)], files wanted: [DesiredFile]) async throws -> Inventory {
        lock.withLock {
            Inventory(releases: releases,
                      files: Dictionary(uniqueKeysWithValues: wanted.compactMap { file in
                          files[file.remotePath].map { (file.remotePath, Checksum.sha256($0)) } }))
        }
    }

    func upload(_ artifacts: [(artifact: ReleaseArtifact, remotePath: String)],
                progress: (@Sendable (UInt64, UInt64) -> Void)?) async throws -> UploadStats {
        lock.withLock {
            for item in artifacts {
                releases.insert("\(item.artifact.service)/\(item.artifact.id)")
                recorder.note("upload \(item.artifact.service)@\(host.name)")
            }
        }
        let bytes = artifacts.reduce(0) { $0 + $1.artifact.size }
        return UploadStats(placedBytes: bytes, sentBytes: bytes)
    }

    func write(_ files: [DesiredFile]) async throws {
        lock.withLock { for file in files { self.files[file.remotePath] = file.content } }
    }

    func restore(path: String, content: [UInt8]?, mode: UInt32) async throws {
        lock.withLock {
            files[path] = content
            recorder.note("restore \(path)")
        }
    }

    func useFence(_ token: UInt64?) async { lock.withLock { fence = token } }

    func close() async {
        lock.withLock { closed = true }
        recorder.note("close \(host.name)")
    }

    /// What this host would report to the planner.
    func observed() async throws -> ObservedHost {
        let status = try await status()
        return lock.withLock {
            ObservedHost(host: host, services: Dictionary(uniqueKeysWithValues: status.services.map { ($0.name, $0) }),
                         releases: releases,
                         files: files.mapValues { Checksum.sha256($0) }, fileContents: files)
        }
    }

    func pid(_ service: String) -> Int32? { lock.withLock { statuses[service]?.pid } }

    /// What an agent reports after the host rebooted: it started every service again (new
    /// pids, one more restart each), none healthy yet.
    func reboot() {
        lock.withLock {
            for (name, var status) in statuses where status.state == .running {
                nextPid += 1
                status.pid = nextPid
                status.restarts += 1
                status.health = HealthStatus(state: .unknown)
                polls[name] = 0
                statuses[name] = status
            }
        }
    }
}

/// An ordered log of what every fake host did.
final class FakeRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var entries: [String] = []
    func note(_ entry: String) { lock.withLock { entries.append(entry) } }
    func index(of entry: String) -> Int? { lock.withLock { entries.firstIndex(of: entry) } }
    func all(prefix: String) -> [String] { lock.withLock { entries.filter { $0.hasPrefix(prefix) } } }
}
