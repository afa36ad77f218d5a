/// The hosts one command works on, connected, and the deployment lease when the command changes
/// them. Only `withFleetSession` makes one, and it ends it, whatever way the command ends.
final class FleetSession<Host: FleetHost>: Sendable {
    /// What the command loaded.
    let fleet: LoadedFleet
    /// The connected hosts, by manifest name.
    let hosts: [String: Host]
    /// The hosts that could not be connected, and why.
    let unreachable: [String: any Error]
    /// The lease held for the command, when it asked for one.
    let lease: LeaseHolder?

    /// Every instance the manifest places, with revisions keyed by each reached host's key.
    let desired: DesiredFleet

    init(fleet: LoadedFleet, hosts: [String: Host], unreachable: [String: any Error], lease: LeaseHolder?) {
        self.fleet = fleet
        self.hosts = hosts
        self.unreachable = unreachable
        self.lease = lease
        desired = fleet.desired.keyingRevisions(hosts.compactMapValues(\.revisionKey))
    }

    /// The validated manifest.
    var manifest: FleetManifest { fleet.manifest }
    /// The service catalog.
    var catalog: ServiceCatalog { fleet.catalog }
    /// The connected hosts as the rollout takes them.
    var fleetHosts: [String: any FleetHost] { hosts.mapValues { $0 as any FleetHost } }

    /// Gives the lease back and closes every connection.
    func end() async {
        let lease = lease
        let hosts = Array(hosts.values)
        // A task of its own does not inherit cancellation: a cancelled command must still give
        // its leases back rather than leave them to lapse.
        await Task {
            await lease?.release()
            await Self.close(hosts)
        }.value
    }

    /// Closes `hosts` in parallel.
    static func close(_ hosts: [Host]) async {
        await withTaskGroup(of: Void.self) { group in
            for host in hosts { group.addTask { await host.close() } }
        }
    }
}
