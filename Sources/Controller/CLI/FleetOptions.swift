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

    @Option(help: ArgumentHelp("""
        The journal: a SQLite file, or a postgresql:// URL of a database a team shares (default: \
        JOBFLEET_JOURNAL, else the manifest's journal:, else ~/.local/state/jobfleet/journal.sqlite).
        """, valueName: "path|url"))
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

    /// The journal this command uses: `--journal`, else `JOBFLEET_JOURNAL`, else the manifest's
    /// `journal:`, else the default SQLite file. A malformed URL is a `UsageError`.
    func journalLocation(_ manifest: FleetManifest) throws -> JournalLocation {
        do { return try JournalLocation.resolve(option: journal, manifest: manifest.journal) } catch {
            throw UsageError(message: error.message)
        }
    }

    /// Runs `body` with the journal of deployments open, and closes it (writing what is still
    /// queued) however `body` ends. A shared (PostgreSQL) journal that cannot be opened stops
    /// the command before any host is contacted, with what failed and what to do: deploying
    /// unrecorded would hide the deploy from the team. A SQLite file that cannot be opened is
    /// a warning, and the command carries on without history, as it always has.
    func withJournal<T>(_ manifest: FleetManifest, _ body: ((any JournalStore)?) async throws -> T) async throws -> T {
        let location = try journalLocation(manifest)
        if let password = location.password() { Console.hideSecrets(Console.secrets.adding([password])) }
        let journal: (any JournalStore)?
        do {
            journal = try await location.open(mask: Console.secrets, warn: { Console.warn($0) })
        } catch let error where !location.isShared {
            Console.warn("journal unavailable (\(error)); continuing without history")
            journal = nil
        }
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body(journal)) } catch { outcome = .failure(error) }
        await journal?.close()
        return try outcome.get()
    }

    private func hostNames(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
