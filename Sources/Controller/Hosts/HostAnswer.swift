import Shared

/// One host's answer to `status`. A plain struct as a task group's child result: a tuple
/// holding a `Result` crashed release builds when the group handed it over.
struct HostAnswer: Sendable {
    /// The host's manifest name.
    var host: String
    var status: StatusResult?
    var error: (any Error)?

    /// `host`'s status, or the error that kept it from answering.
    static func ask(_ host: some FleetHost, services: [String]? = nil, logLines: Int? = nil) async -> HostAnswer {
        do {
            return HostAnswer(host: host.host.name, status: try await host.status(services: services, logLines: logLines))
        } catch {
            return HostAnswer(host: host.host.name, error: error)
        }
    }
}

/// Status answers gathered while hosts connect: each host is asked the moment it is connected,
/// so the first answers do not wait for the slowest handshake.
actor StatusAnswers {
    /// The answers so far.
    private(set) var all: [HostAnswer] = []

    /// Asks `host` for its status and keeps the answer.
    nonisolated func ask(_ host: some FleetHost) async {
        let answer = await HostAnswer.ask(host)
        await add(answer)
    }

    private func add(_ answer: HostAnswer) { all.append(answer) }
}
