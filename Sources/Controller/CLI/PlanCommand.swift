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
        let context = try FleetContext.load(fleet)
        for service in only { try context.checkService(service) }
        try await context.connect()
        defer { Task { await context.close() } }
        let observed = try await context.observe()
        let plan = Planner.plan(desired: context.desired, observed: observed, order: order,
                                only: only.isEmpty ? nil : Set(only))
        Console.line(PlanText.render(plan, fleet: context.manifest.name, secrets: context.desired.values))
        await context.close()
        if !context.unreachable.isEmpty {
            Console.error("\(context.unreachable.count) host(s) unreachable; the plan above leaves them out")
            throw ExitCode(ExitCodes.failed)
        }
        if plan.hasChanges { throw ExitCode(ExitCodes.changesPending) }
    }
}

extension StartOrder: ExpressibleByArgument {}
extension GatePolicy: ExpressibleByArgument {}
