import ArgumentParser
import Foundation

/// Options every fleet command shares: which manifest, which of its hosts, how many at once.
struct FleetOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("file")], help: "The fleet manifest (fleet.yaml).")
    var file: String

    @Option(name: .customLong("hosts"), help: ArgumentHelp("Only these hosts, by manifest name.", valueName: "name,name…"))
    var hosts: String?

    @Option(help: "How many hosts to work on at once (default: the manifest's ssh.forks).")
    var forks: Int?

    func validate() throws {
        if let forks, forks < 1 { throw ValidationError("--forks must be at least 1, got \(forks)") }
        if let hosts, hostNames(hosts).isEmpty { throw ValidationError("--hosts needs at least one host name") }
    }

    /// The manifest and the hosts selected from it, in manifest order.
    func load() throws -> (manifest: FleetManifest, hosts: [FleetManifest.Host]) {
        let manifest = try FleetManifest.load(path: file)
        guard let hosts else { return (manifest, manifest.hosts) }
        let wanted = hostNames(hosts)
        let unknown = wanted.filter { manifest.host(named: $0) == nil }
        if !unknown.isEmpty {
            throw UsageError(message: "--hosts: \(unknown.joined(separator: ", ")) not in \(manifest.path); hosts are: \(manifest.hosts.map(\.name).joined(separator: ", "))")
        }
        return (manifest, manifest.hosts.filter { wanted.contains($0.name) })
    }

    /// The SSH target of each selected host, asking for key passphrases now so that no prompt
    /// appears while connections run against their deadlines. A bad manifest, selection or
    /// key is reported once, and the command exits with status 64 before contacting any host.
    func targets(commandTimeout: Duration?) throws -> (manifest: FleetManifest, targets: [SSHTarget]) {
        do {
            let (manifest, hosts) = try load()
            let targets = hosts.map { SSHTarget(host: $0, ssh: manifest.ssh, commandTimeout: commandTimeout) }
            if let first = targets.first, !manifest.ssh.useAgent {
                try Passphrases.shared.prepare(first.authentication)
            }
            return (manifest, targets)
        } catch {
            Console.err("error: \(error)\n")
            throw ExitCode(64)
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
