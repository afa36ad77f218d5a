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
}
