import ArgumentParser
import Foundation

/// `jobfleet plan`: what a deploy would change, per host; nothing is touched.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a deploy would change on each host, without changing anything.",
        discussion: """
            Hosts that cannot be reached, or whose agent does not answer, are shown as not reached \
            and nothing is planned for them. Exit status: 0 when nothing would change; 3 when \
            something would; 2 when a host could not be reached or did not answer in time; 1 when \
            a host answered with a failure or has no room for the upload; 64 on invalid input (no host contacted).
            """)

    @OptionGroup var fleet: FleetOptions
    @Option(help: "Start order: fast (job-config, then the rest together) or runbook (upstream sequence).")
    var order: StartOrder = .fast
    @Option(help: "Plan only this service (repeatable).")
    var only: [String] = []
    @Flag(help: "One JSON object (release, per-host changes, waves, summary) instead of text.")
    var json = false

    func run() async throws {
        let loaded = try fleet.loadFleet(services: only)
        try await withFleetSession(loaded) { session in
            let (observed, failed) = await session.observe()
            let plan = Planner.plan(desired: session.desired, observed: observed, unreached: failed.mapValues { "\($0)" },
                                    order: order, only: only.isEmpty ? nil : Set(only))
            if json {
                Console.json(PlanJSON(plan, fleet: session.manifest.name, release: session.fleet.release))
            } else {
                Console.line(PlanText.render(plan, fleet: session.manifest.name, mask: session.desired.mask,
                                             release: session.fleet.release))
            }
            for problem in plan.problems { Console.error(problem) }
            let status = ExitCodes.combined(failed.values.map(ExitCodes.status(of:))
                                            + [plan.problems.isEmpty ? 0 : ExitCodes.failed,
                                               plan.hasChanges ? ExitCodes.changesPending : 0])
            if !failed.isEmpty {
                Console.error("\(failed.count) host(s) not reached (\(failed.keys.sorted().joined(separator: ", "))): the plan covers only the others")
            }
            if status != 0 { throw ExitCode(status) }
        }
    }
}

extension StartOrder: ExpressibleByArgument {}
extension GatePolicy: ExpressibleByArgument {}
