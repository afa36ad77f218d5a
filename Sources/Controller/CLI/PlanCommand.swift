import ArgumentParser
import Foundation

/// `jobfleet plan`: what a deploy would change, per host; nothing is touched.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a deploy would change on each host, without changing anything.",
        discussion: "Exit status: 0 when nothing would change, 2 when something would, 1 when a host failed, 3 on invalid input.")

    @OptionGroup var fleet: FleetOptions
    @Option(help: "Start order: fast (job-config, then the rest together) or runbook (upstream sequence).")
    var order: StartOrder = .fast
    @Option(help: "Plan only this service (repeatable).")
    var only: [String] = []

    func run() async throws {
        let loaded = try fleet.loadFleet(services: only)
        try await withFleetSession(loaded) { session in
            let observed = try await session.observe()
            let plan = Planner.plan(desired: session.desired, observed: observed, order: order,
                                    only: only.isEmpty ? nil : Set(only))
            Console.line(PlanText.render(plan, fleet: session.manifest.name, mask: session.desired.mask))
            if !session.unreachable.isEmpty {
                throw CommandFailure(message: "\(session.unreachable.count) host(s) unreachable; the plan above leaves them out")
            }
            if plan.hasChanges { throw ExitCode(ExitCodes.changesPending) }
        }
    }
}

extension StartOrder: ExpressibleByArgument {}
extension GatePolicy: ExpressibleByArgument {}
