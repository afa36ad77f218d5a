/// Opens the hosts of a command: over SSH with their agents installed (`FleetConnector`), or
/// scripted hosts in tests.
protocol FleetHostConnecting<Host>: Sendable {
    /// The kind of host it opens.
    associatedtype Host: FleetHost

    /// Connects to `hosts` (all of the manifest's when nil): every host's connection, or why
    /// there is none, by name. One host's failure never stops the others.
    func connect(_ hosts: [FleetManifest.Host]?) async -> [String: Result<Host, any Error>]
}

extension FleetConnector: FleetHostConnecting {}
