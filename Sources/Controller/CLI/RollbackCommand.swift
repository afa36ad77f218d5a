import ArgumentParser
import Foundation
import Shared

/// `jobfleet rollback [SERVICE]`: flips instances back to the release they ran before, one at a
/// time, each gated on health. Nothing is uploaded: the previous release is still on the host.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Put a service (or every service) back on its previous release, instance by instance.",
        discussion: """
            The previous release is the one the journal recorded before the current one on that \
            host, or --to RELEASE. The next deploy brings the manifest's release back.
            """)

    @OptionGroup var fleet: FleetOptions
    @Argument(help: "The service to roll back; every placed service when omitted.")
    var service: String?
    @Option(help: "Release id to go back to (a directory name under releases/).")
    var to: String?
    @Option(name: .customLong("max-parallel"), help: "Instances switched at a time.")
    var maxParallel = 1
    @Flag(name: .shortAndLong, help: "Proceed without asking.")
    var yes = false

    func run() async throws {
        let loaded = try fleet.loadFleet(services: service.map { [$0] } ?? [])
        let instances = loaded.desired.instances.filter { service == nil || $0.service == service }
        let hosts = Array(Set(instances.map(\.host.name))).compactMap(loaded.manifest.host(named:))
        try await fleet.withJournal(loaded.manifest) { journal in
            try await withFleetSession(loaded, hosts: hosts, lease: .take(command: "rollback", journal: journal)) { context in
                try await rollback(instances, context: context, journal: journal)
            }
        }
    }

    /// Works out each instance's previous release, asks, and rolls back.
    private func rollback(_ instances: [DesiredInstance], context: FleetSession<SSHFleetHost>,
                          journal: (any JournalStore)?) async throws {
        if !context.unreachable.isEmpty {
            Console.error("\(context.unreachable.count) host(s) not reached: \(context.unreachable.keys.sorted().joined(separator: ", ")); nothing was rolled back")
            throw ExitCode(ExitCodes.combined(context.unreachable.values.map(ExitCodes.status(of:))))
        }
        var statuses: [String: [ServiceStatus]] = [:]
        for (host, answer) in await context.statuses() {
            if case .success(let result) = answer { statuses[host] = result.services }
        }
        let known = await JournalReleases.read(journal, fleet: context.manifest.name, instances: instances)
        let rollback = Planner.rollback(desired: context.desired, instances: instances, statuses: statuses, to: to,
            history: { instance in known.releases[instance.label] ?? [] },
            version: { instance, release in known.versions[instance.label]?[release] ?? nil })
        let changes = rollback.plan.hosts.flatMap(\.changes)
        for problem in rollback.problems { Console.error(problem) }
        guard rollback.problems.isEmpty, !changes.isEmpty else { throw ExitCode(ExitCodes.failed) }
        for change in changes { Console.line("rollback \(change.instance.label): \(change.reasons.joined())") }
        if !yes {
            guard Console.interactive, isatty(0) == 1 else {
                Console.error("not on a terminal: pass --yes to roll back")
                throw ExitCode(ExitCodes.invalidInput)
            }
            guard Self.confirm() else {
                Console.progress("nothing rolled back")
                throw ExitCode(ExitCodes.failed)
            }
        }
        var options = RolloutOptions()
        options.maxParallel = maxParallel
        // The version rolled back to, when every instance goes back to the same one.
        let versions = Set(changes.map(\.instance.spec.version))
        let entry = await journal?.beginEntry(fleet: context.manifest.name, manifest: context.manifest.path,
                                              command: "rollback", version: versions.count == 1 ? versions.first ?? nil : nil)
        let progress = RolloutProgress(journal: journal, entry: entry)
        let result = await Rollout(plan: rollback.plan, desired: rollback.desired, hosts: context.fleetHosts, options: options,
                                   events: progress.handle).run()
        progress.finish()
        if let journal, let entry {
            for change in changes where result.succeeded {
                journal.release(entry, host: change.instance.host.name, service: change.instance.service,
                                release: change.instance.spec.release ?? "", revision: change.instance.spec.revision)
            }
            await journal.finish(entry, result: result.succeeded ? "succeeded" : "failed", summary: RolloutReport.summary(result))
        }
        Console.line(RolloutReport.text(result, command: "rollback"))
        if !result.succeeded { throw ExitCode(ExitCodes.failed) }
    }

    static func confirm() -> Bool {
        FileHandle.standardError.write(Data("Roll back these instances? [y/N] ".utf8))
        return ["y", "yes"].contains(readLine()?.lowercased() ?? "")
    }
}
