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

    /// The manifest and the hosts selected from it, in manifest order.
    func load() throws -> (manifest: FleetManifest, hosts: [FleetManifest.Host]) {
        var manifest = try FleetManifest.load(path: file)
        if let forks { manifest.ssh.forks = forks }
        return (manifest, try select(in: manifest))
    }

    /// The hosts `--hosts` names (all when absent); an unknown name is a usage error.
    func select(in manifest: FleetManifest) throws -> [FleetManifest.Host] {
        guard let hosts else { return manifest.hosts }
        let wanted = hostNames(hosts)
        let unknown = wanted.filter { manifest.host(named: $0) == nil }
        if !unknown.isEmpty {
            throw UsageError(message: "--hosts: \(unknown.joined(separator: ", ")) not in \(manifest.path); hosts are: \(manifest.hosts.map(\.name).joined(separator: ", "))")
        }
        return manifest.hosts.filter { wanted.contains($0.name) }
    }

    /// The SSH target of each selected host, asking for key passphrases now so that no prompt
    /// appears while connections run against their deadlines. A bad manifest, selection or
    /// key is reported once, and the command exits with status 64 before contacting any host.
    func targets(commandTimeout: Duration?) throws -> (manifest: FleetManifest, targets: [SSHTarget]) {
        do {
            let (manifest, hosts) = try load()
            let targets = hosts.map { SSHTarget(host: $0, ssh: manifest.ssh, commandTimeout: commandTimeout) }
            try Self.preparePassphrase(targets, manifest: manifest)
            return (manifest, targets)
        } catch {
            Console.error("\(error)")
            throw ExitCode(ExitCodes.invalidInput)
        }
    }

    /// Asks for the key passphrase up front (or reads it from the environment).
    static func preparePassphrase(_ targets: [SSHTarget], manifest: FleetManifest) throws {
        if let first = targets.first, !manifest.ssh.useAgent {
            try Passphrases.shared.prepare(first.authentication)
        }
    }

    /// How many hosts at once.
    func forks(for manifest: FleetManifest) -> Int { forks ?? manifest.ssh.forks }

    private func hostNames(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// A command line that names something the manifest does not have.
struct UsageError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Exit statuses, the same for every command.
enum ExitCodes {
    /// Something failed on a host: a command, a health gate, an upload.
    static let failed: Int32 = 1
    /// A host could not be reached or timed out.
    static let unreachable: Int32 = 2
    /// `plan` only: the fleet differs from the manifest.
    static let changesPending: Int32 = 3
    /// Another operator holds the deployment lease on a host.
    static let leaseHeld: Int32 = 4
    /// The manifest, catalog, env file or arguments are invalid; no host was contacted.
    static let invalidInput: Int32 = 64
}
