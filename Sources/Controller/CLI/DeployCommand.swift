import ArgumentParser
import Foundation
import Shared

/// `jobfleet deploy`: uploads what changed, renders configuration, activates releases and
/// starts services in dependency order, each gated on health.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Bring the fleet to the manifest: upload, configure, activate and start in waves.",
        discussion: """
            An instance starts only when every service it depends on is healthy and on its target \
            release on all of that service's hosts (--gate any: on at least one). Running instances \
            are replaced --max-parallel at a time, each gated on health; a failed one is put back on \
            its previous release and the rollout stops. Running deploy again converges.
            """)

    @OptionGroup var fleet: FleetOptions
    @Option(help: "Start order: fast (job-config, then the rest together) or runbook (upstream sequence).")
    var order: StartOrder = .fast
    @Option(help: "Deploy only this service (repeatable); nothing else is touched.")
    var only: [String] = []
    @Option(help: "Dependency gate: all (every instance ready) or any (at least one).")
    var gate: GatePolicy = .all
    @Option(name: .customLong("max-parallel"), help: "Running instances of one service replaced at a time.")
    var maxParallel = 1
    @Option(name: .customLong("health-timeout"), help: "Override every service's health deadline (e.g. 90s).")
    var healthTimeout: String?
    @Flag(name: .customLong("no-revert"), help: "Leave a failed upgraded instance on its new release.")
    var noRevert = false
    @Flag(name: .shortAndLong, help: "Proceed without asking.")
    var yes = false
    @Flag(name: .customLong("allow-stop-all"),
          help: "Allow a deploy that stops every running instance of the fleet and starts none.")
    var allowStopAll = false

    func validate() throws {
        if maxParallel < 1 { throw ValidationError("--max-parallel must be at least 1") }
        if let healthTimeout, DurationText.parse(healthTimeout) == nil {
            throw ValidationError("--health-timeout must be a duration such as 90s or 3m, got '\(healthTimeout)'")
        }
    }

    func run() async throws {
        let loaded = try fleet.loadFleet(services: only)
        let code = try await fleet.withJournal(loaded.manifest) { journal in
            try await withFleetSession(loaded, lease: .take(command: "deploy", journal: journal)) { context in
                await deploy(context, journal: journal)
            }
        }
        if code != 0 { throw ExitCode(code) }
    }

    private func deploy(_ context: FleetSession<SSHFleetHost>, journal: (any JournalStore)?) async -> Int32 {
        let (observed, failed) = await context.observe()
        let plan = Planner.plan(desired: context.desired, observed: observed, unreached: failed.mapValues { "\($0)" },
                                order: order, only: only.isEmpty ? nil : Set(only))
        Console.line(PlanText.render(plan, fleet: context.manifest.name, mask: context.desired.mask, release: context.fleet.release))
        if !failed.isEmpty {
            Console.error("\(failed.count) host(s) not reached: \(failed.keys.sorted().joined(separator: ", ")); nothing was changed. Fix them or remove them from the manifest, then deploy again")
            return ExitCodes.combined(failed.values.map(ExitCodes.status(of:)))
        }
        if !plan.problems.isEmpty {
            for problem in plan.problems { Console.error(problem) }
            Console.error("nothing was uploaded or changed")
            return ExitCodes.failed
        }
        if plan.stopsEverything && !allowStopAll {
            Console.error("this deploy would stop every running instance of the fleet (\(plan.runningBefore)) and start none; nothing was changed. If that is what you want, pass --allow-stop-all as well as --yes")
            return ExitCodes.invalidInput
        }
        guard plan.hasChanges || !plan.settling.isEmpty else {
            // Recorded too: it closes the entry of a deploy that was killed after its last change.
            if let journal, let entry = await journal.beginEntry(fleet: context.manifest.name, manifest: context.manifest.path,
                                                                 command: "deploy", version: context.desired.version) {
                await journal.finish(entry, result: "no-op", summary: "nothing to change")
            }
            return 0
        }
        // Waiting for instances that need no change changes nothing: no confirmation for that.
        if !yes && plan.hasChanges {
            guard Console.interactive, isatty(0) == 1 else {
                Console.error("not on a terminal: pass --yes to deploy without confirmation")
                return ExitCodes.invalidInput
            }
            FileHandle.standardError.write(Data("Deploy these changes? [y/N] ".utf8))
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                Console.progress("nothing deployed")
                return ExitCodes.failed
            }
        }
        let entry = await journal?.beginEntry(fleet: context.manifest.name, manifest: context.manifest.path,
                                              command: "deploy", version: context.desired.version)
        var options = RolloutOptions()
        options.policy = gate
        options.maxParallel = maxParallel
        options.revertOnFailure = !noRevert
        options.healthDeadline = healthTimeout.flatMap(DurationText.parse)
        let progress = RolloutProgress(journal: journal, entry: entry)
        let result = await Rollout(plan: plan, desired: context.desired, hosts: context.fleetHosts, options: options,
                                   events: progress.handle).run()
        progress.finish()
        if let journal, let entry {
            for instance in context.desired.instances where result.succeeded && (only.isEmpty || only.contains(instance.service)) {
                journal.release(entry, host: instance.host.name, service: instance.service,
                                release: instance.artifact.id, revision: instance.spec.revision)
            }
            await journal.finish(entry, result: result.succeeded ? "succeeded" : "failed", summary: RolloutReport.summary(result),
                                 bytes: result.uploadedBytes > 0 ? (result.uploadedBytes, result.sentBytes) : nil)
        }
        Console.line(RolloutReport.text(result))
        return result.succeeded ? 0 : ExitCodes.failed
    }
}
