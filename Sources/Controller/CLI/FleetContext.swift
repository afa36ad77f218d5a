import ArgumentParser
import Foundation
import Shared

/// What a fleet command works with: the validated manifest, catalog and desired fleet, and the
/// hosts once connected. Loading never touches the network, so bad input fails before any host
/// is contacted.
final class FleetContext: @unchecked Sendable {
    let manifest: FleetManifest
    let catalog: ServiceCatalog
    let desired: DesiredFleet
    let checksums: ChecksumCache
    private let loaded: LoadedFleet
    private(set) var hosts: [String: SSHFleetHost] = [:]
    private(set) var unreachable: [String: any Error] = [:]

    /// The fleet `options` name, loaded and validated.
    static func load(_ options: FleetOptions) throws -> FleetContext {
        FleetContext(try options.loadFleet())
    }

    private init(_ loaded: LoadedFleet) {
        self.loaded = loaded
        manifest = loaded.manifest
        catalog = loaded.catalog
        desired = loaded.desired
        checksums = loaded.checksums
    }

    /// The hosts `--hosts` selects (all when absent); an unknown name is an input error.
    func selectHosts(_ options: FleetOptions) throws -> [FleetManifest.Host] {
        try loaded.selectedHosts()
    }

    /// Checks a service name against the catalog and placement.
    func checkService(_ name: String) throws {
        try loaded.checkService(name)
    }

    /// Connects to `hosts` (default: all), installing or upgrading agents as needed;
    /// `afterConnect` runs for each host as soon as it is connected.
    func connect(_ hosts: [FleetManifest.Host]? = nil, quiet: Bool = false,
                 afterConnect: (@Sendable (SSHFleetHost) async -> Void)? = nil) async throws {
        let selected = hosts ?? manifest.hosts
        _ = try loaded.input.sshTargets(selected)
        let agent: AgentBinary
        do {
            agent = try AgentBinary.locate(checksums: checksums)
            checksums.save()
        } catch {
            throw UsageError(message: "\(error)")
        }
        var connector = FleetConnector(manifest: manifest, agent: agent)
        connector.afterConnect = afterConnect
        if !quiet {
            connector.onConnected = { name, result in
                if case .failure(let error) = result { Console.error("\(error)") }
            }
        }
        for (name, result) in await connector.connect(selected) {
            switch result {
            case .success(let host): self.hosts[name] = host
            case .failure(let error): unreachable[name] = error
            }
        }
    }

    /// What every connected host has now, for the planner.
    func observe() async throws -> [ObservedHost] {
        try await withThrowingTaskGroup(of: ObservedHost.self) { group in
            for (name, host) in hosts {
                let instances = desired.instances(on: name)
                group.addTask {
                    let status = try await host.status()
                    let artifacts = instances.map { ($0.artifact, $0.releaseJar) }
                    let inventory = try await host.inventory(artifacts: artifacts, files: instances.flatMap(\.files))
                    return ObservedHost(host: host.host,
                                        services: Dictionary(status.services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }),
                                        releases: inventory.releases, files: inventory.files, fileContents: inventory.contents)
                }
            }
            var all: [ObservedHost] = []
            for try await observed in group { all.append(observed) }
            return all
        }
    }

    /// Connects to `hosts` and asks each for its status the moment it is connected, so the
    /// first answers do not wait for the slowest handshake. Every host's status, or the error
    /// that kept it from answering.
    func connectForStatus(_ hosts: [FleetManifest.Host]) async throws -> [String: Result<StatusResult, any Error>] {
        let answers = HostAnswers()
        try await connect(hosts, quiet: true) { host in
            await answers.add(await Self.ask(host.host.name, host))
        }
        return collect(await answers.all)
    }

    /// Every host's status, or the error that kept it from answering.
    func statuses(services: [String]? = nil, logLines: Int? = nil) async -> [String: Result<StatusResult, any Error>] {
        let answers = await withTaskGroup(of: HostAnswer.self, returning: [HostAnswer].self) { group in
            for (name, host) in hosts {
                group.addTask { await Self.ask(name, host, services: services, logLines: logLines) }
            }
            var all: [HostAnswer] = []
            for await answer in group { all.append(answer) }
            return all
        }
        return collect(answers)
    }

    /// `host`'s status, or the error that kept it from answering.
    private static func ask(_ name: String, _ host: SSHFleetHost, services: [String]? = nil,
                            logLines: Int? = nil) async -> HostAnswer {
        do {
            return HostAnswer(host: name, status: try await host.status(services: services, logLines: logLines))
        } catch {
            return HostAnswer(host: name, error: error)
        }
    }

    /// The hosts' answers, with the unreachable hosts' errors.
    private func collect(_ answers: [HostAnswer]) -> [String: Result<StatusResult, any Error>] {
        var results: [String: Result<StatusResult, any Error>] = unreachable.mapValues { .failure($0) }
        for answer in answers {
            if let status = answer.status { results[answer.host] = .success(status) }
            else if let error = answer.error { results[answer.host] = .failure(error) }
        }
        return results
    }

    private actor HostAnswers {
        var all: [HostAnswer] = []
        func add(_ answer: HostAnswer) { all.append(answer) }
    }

    /// One host's answer to `status`. A plain struct as the task group's child result: a tuple
    /// holding a `Result` crashed release builds when the group handed it over.
    private struct HostAnswer: Sendable {
        var host: String
        var status: StatusResult?
        var error: (any Error)?
    }

    /// The `FleetHost`s by name, for the rollout.
    var fleetHosts: [String: any FleetHost] { hosts.mapValues { $0 as any FleetHost } }

    func close() async {
        await withTaskGroup(of: Void.self) { group in
            for host in hosts.values { group.addTask { await host.close() } }
        }
    }
}
