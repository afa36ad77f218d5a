import Shared

extension FleetSession {
    /// Every host's status, or the error that kept it from answering, unreachable hosts included.
    func statuses(services: [String]? = nil, logLines: Int? = nil) async -> [String: Result<StatusResult, any Error>] {
        let answers = await withTaskGroup(of: HostAnswer.self, returning: [HostAnswer].self) { group in
            for host in hosts.values {
                group.addTask { await HostAnswer.ask(host, services: services, logLines: logLines) }
            }
            var all: [HostAnswer] = []
            for await answer in group { all.append(answer) }
            return all
        }
        return statuses(from: answers)
    }

    /// `answers` by host, with the unreachable hosts' errors.
    func statuses(from answers: [HostAnswer]) -> [String: Result<StatusResult, any Error>] {
        var results: [String: Result<StatusResult, any Error>] = unreachable.mapValues { .failure($0) }
        for answer in answers {
            if let status = answer.status { results[answer.host] = .success(status) }
            else if let error = answer.error { results[answer.host] = .failure(error) }
        }
        return results
    }

    /// What every connected host has now, for the planner, and why each host that could not
    /// be observed (not connected, or failed to answer) was not.
    func observe() async -> (observed: [ObservedHost], failed: [String: any Error]) {
        let results = await withTaskGroup(of: (String, Result<ObservedHost, any Error>).self) { group in
            for (name, host) in hosts {
                let instances = desired.instances(on: name)
                let files = desired.files(on: name)
                group.addTask { (name, await Result(catching: { try await Self.observe(host, instances: instances, files: files) })) }
            }
            var all: [(String, Result<ObservedHost, any Error>)] = []
            for await result in group { all.append(result) }
            return all
        }
        var observed: [ObservedHost] = []
        var failed = unreachable
        for (name, result) in results {
            switch result {
            case .success(let host): observed.append(host)
            case .failure(let error): failed[name] = error
            }
        }
        return (observed, failed)
    }

    private static func observe(_ host: Host, instances: [DesiredInstance], files: [DesiredFile]) async throws -> ObservedHost {
        let status = try await host.status()
        let artifacts = instances.map { ($0.artifact, $0.releaseJar) }
        let inventory = try await host.inventory(artifacts: artifacts, files: files)
        var observed = ObservedHost(host: host.host,
                                    services: Dictionary(status.services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }),
                                    releases: inventory.releases, files: inventory.files, fileContents: inventory.contents,
                                    diskFree: inventory.free)
        observed.symlinks = inventory.symlinks
        observed.facts = host.facts
        observed.accountProblem = host.serviceAccount?.problem
        observed.consulProblem = host.consulAgent?.problem
        return observed
    }
}

extension Result where Failure == any Error {
    /// The value `body` returns, or the error it throws.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
