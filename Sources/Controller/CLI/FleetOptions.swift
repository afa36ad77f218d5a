import ArgumentParser
import Foundation

/// Options every fleet command shares: which manifest, which of its hosts, how many at once.
struct FleetOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("file")], help: "The fleet manifest.")
    var file: String = "fleet.yaml"

    @Option(name: [.customLong("hosts"), .customLong("host")],
            help: ArgumentHelp("Only these hosts, by manifest name.", valueName: "name,name…"))
    var hosts: String?

    @Option(help: "How many hosts to work on at once (default: the manifest's ssh.forks).")
    var forks: Int?

    @Option(help: ArgumentHelp("The SQLite journal of deployments (default: ~/.local/state/jobfleet/journal.sqlite).",
                               valueName: "path"))
    var journal: String?

    func validate() throws {
        if let forks, forks < 1 { throw ValidationError("--forks must be at least 1, got \(forks)") }
        if let hosts, hostNames(hosts).isEmpty { throw ValidationError("--hosts needs at least one host name") }
    }

    /// The manifest, read once for the command, with `--forks` applied and `--hosts` kept for
    /// selecting.
    func loadManifest() throws -> LoadedManifest {
        try LoadedManifest.load(path: file, forks: forks, hostNames: hosts.map(hostNames))
    }

    /// The manifest with its catalog, env file and desired fleet; each of `services` must be
    /// in the catalog. From here on the console hides the env file's secrets.
    func loadFleet(services: [String] = []) throws -> LoadedFleet {
        let fleet = try LoadedFleet.load(loadManifest(), services: services)
        Console.hideSecrets(fleet.desired.mask)
        for warning in fleet.desired.warnings { Console.warn(warning.description) }
        return fleet
    }

    /// The journal of deployments; when it cannot be opened the command carries on without
    /// history, and says so.
    func openJournal() -> Journal? {
        do { return try Journal(path: journal ?? Journal.defaultPath, mask: Console.secrets) } catch {
            Console.warn("journal unavailable (\(error)); continuing without history")
            return nil
        }
    }

    private func hostNames(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
