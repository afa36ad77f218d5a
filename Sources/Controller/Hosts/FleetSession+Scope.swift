/// Whether a session holds the deployment lease.
enum SessionLease: Sendable {
    /// No lease: the command changes nothing that a deploy orders.
    case none
    /// The lease on every connected host, or on none, for `command` (named in the owner);
    /// `journal` records each lease taken and given back.
    case take(command: String, journal: (any JournalStore)? = nil)
}

/// Connects to `hosts` with `connector`, takes the lease when asked (on every connected host or
/// none; a refusal closes the connections and throws `LeaseHeld`), keeps it renewed, and runs
/// `body` with the session. However `body` ends (a value, an early return, a thrown error,
/// cancellation), the lease is given back and every connection closed before this returns.
/// `warn` tells the operator about lease takeovers and failed renewals.
func withFleetSession<Connector: FleetHostConnecting, T>(
    _ fleet: LoadedFleet, hosts: [FleetManifest.Host], lease: SessionLease = .none, connector: Connector,
    warn: @escaping @Sendable (String) -> Void, _ body: (FleetSession<Connector.Host>) async throws -> T
) async throws -> T {
    var connected: [String: Connector.Host] = [:]
    var unreachable: [String: any Error] = [:]
    for (name, result) in await connector.connect(hosts) {
        switch result {
        case .success(let host): connected[name] = host
        case .failure(let error): unreachable[name] = error
        }
    }
    var holder: LeaseHolder?
    if case .take(let command, let journal) = lease {
        let name = fleet.manifest.name
        let taking = LeaseHolder(hosts: Array(connected.values),
                                 owner: LeaseHolder.owner(command: command, fleet: name), warn: warn,
                                 record: { event in journal?.lease(event, fleet: name) })
        do {
            try await taking.acquire()
        } catch {
            await FleetSession(fleet: fleet, hosts: connected, unreachable: unreachable, lease: nil).end()
            throw error
        }
        holder = taking
    }
    let session = FleetSession(fleet: fleet, hosts: connected, unreachable: unreachable, lease: holder)
    let outcome: Result<T, any Error>
    do { outcome = .success(try await body(session)) } catch { outcome = .failure(error) }
    await session.end()
    return try outcome.get()
}
