/// Runs `body` in a session on `hosts` (every host of the manifest by default) reached over SSH.
/// Before any host is contacted the key is unlocked and the agent binary found; a problem with
/// either is a `UsageError`. Each host is then connected with its agent installed or upgraded;
/// failures are printed as they happen unless `quiet`, and `onConnect` runs for each host as
/// soon as it is connected. The lease and the end of the session are as in the generic
/// `withFleetSession(_:hosts:lease:connector:warn:_:)`.
func withFleetSession<T>(
    _ fleet: LoadedFleet, hosts: [FleetManifest.Host]? = nil, lease: SessionLease = .none, quiet: Bool = false,
    onConnect: (@Sendable (SSHFleetHost) async -> Void)? = nil, _ body: (FleetSession<SSHFleetHost>) async throws -> T
) async throws -> T {
    let hosts = hosts ?? fleet.manifest.hosts
    _ = try fleet.input.sshTargets(hosts)
    let agent: AgentBinary
    do {
        agent = try AgentBinary.locate(checksums: fleet.checksums)
        fleet.checksums.save()
    } catch {
        throw UsageError(message: "\(error)")
    }
    var connector = FleetConnector(manifest: fleet.manifest, agent: agent)
    connector.afterConnect = onConnect
    if !quiet {
        connector.onConnected = { _, result in
            if case .failure(let error) = result { Console.error("\(error)") }
        }
    }
    return try await withFleetSession(fleet, hosts: hosts, lease: lease, connector: connector,
                                      warn: { Console.warn($0) }, body)
}
