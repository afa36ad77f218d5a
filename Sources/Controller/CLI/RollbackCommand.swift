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
        try await withFleetSession(loaded, hosts: hosts, lease: .take(command: "rollback")) { context in
            try await rollback(instances, context: context)
        }
    }

    /// Works out each instance's previous release, asks, and rolls back.
    private func rollback(_ instances: [DesiredInstance], context: FleetSession<SSHFleetHost>) async throws {
        let journal = fleet.openJournal()
        let statuses = await context.statuses()
        var changes: [InstanceChange] = []
        var problems: [String] = []
        for instance in instances {
            guard case .success(let result)? = statuses[instance.host.name],
                  let status = result.services.first(where: { $0.name == instance.service }),
                  let current = status.release ?? status.activeRelease else {
                problems.append("\(instance.label): not running anything to roll back from")
                continue
            }
            let history = (try? journal?.releases(fleet: context.manifest.name, host: instance.host.name,
                                                  service: instance.service)) ?? []
            guard let target = to ?? history.first(where: { $0 != current }) else {
                problems.append("\(instance.label): no earlier release recorded in the journal; pass --to RELEASE")
                continue
            }
            var previous = instance
            previous.spec.release = target
            previous.spec.revision = DesiredFleet.revision(of: previous.spec, files: instance.files)
            changes.append(InstanceChange(instance: previous, action: .restart, reasons: ["release \(current) → \(target)"],
                                          previousRelease: current, previousRevision: status.revision))
        }
        for problem in problems { Console.error(problem) }
        guard problems.isEmpty, !changes.isEmpty else { throw ExitCode(ExitCodes.failed) }
        for change in changes { Console.line("rollback \(change.instance.label): \(change.reasons.joined())") }
        if !yes && !(Console.interactive && isatty(0) == 1 && Self.confirm()) {
            Console.error(Console.interactive ? "nothing rolled back" : "not on a terminal: pass --yes to roll back")
            throw ExitCode(ExitCodes.failed)
        }
        let hostPlans = context.manifest.hosts.map { host in
            HostPlan(host: host, uploads: [], files: [], changes: changes.filter { $0.instance.host.name == host.name }, stops: [])
        }
        let services = context.catalog.services.map(\.name).filter { name in changes.contains { $0.instance.service == name } }
        let plan = Plan(hosts: hostPlans, waves: services.map { [$0] }, order: .runbook)
        var options = RolloutOptions()
        options.maxParallel = maxParallel
        let entry = try? journal?.begin(fleet: context.manifest.name, manifest: context.manifest.path,
                                        command: "rollback", arguments: Array(CommandLine.arguments.dropFirst()))
        let progress = RolloutProgress(journal: journal, entry: entry)
        var rollbackDesired = context.desired
        rollbackDesired.instances = rollbackDesired.instances.map { instance in
            changes.first { $0.instance.label == instance.label }?.instance ?? instance
        }
        let result = await Rollout(plan: plan, desired: rollbackDesired, hosts: context.fleetHosts, options: options,
                                   events: progress.handle).run()
        progress.finish()
        if let journal, let entry {
            for change in changes where result.succeeded {
                journal.release(entry, host: change.instance.host.name, service: change.instance.service,
                                release: change.instance.spec.release ?? "", revision: change.instance.spec.revision)
            }
            journal.finish(entry, result: result.succeeded ? "succeeded" : "failed", summary: RolloutReport.summary(result))
        }
        Console.line(RolloutReport.text(result).replacing("Deploy", with: "Rollback"))
        if !result.succeeded { throw ExitCode(ExitCodes.failed) }
    }

    static func confirm() -> Bool {
        FileHandle.standardError.write(Data("Roll back these instances? [y/N] ".utf8))
        return ["y", "yes"].contains(readLine()?.lowercased() ?? "")
    }
}
