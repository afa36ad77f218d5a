import Shared

/// Short phrases for service states that need more than the state's name.
enum StatusText {
    /// "waiting for job-config": a start its agent holds at the start gates.
    static func waiting(for services: [String]) -> String {
        services.isEmpty ? "waiting for its start gates" : "waiting for \(services.joined(separator: ", "))"
    }

    /// The same, from an agent's status.
    static func waiting(_ status: ServiceStatus) -> String { waiting(for: status.waitingFor ?? []) }
}
