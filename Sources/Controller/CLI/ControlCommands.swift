import ArgumentParser
import Foundation
import Shared

/// Options shared by start, stop and restart.
struct ControlOptions: ParsableArguments {
    @OptionGroup var fleet: FleetOptions
    @Argument(help: "The service, e.g. job-execute.")
    var service: String
    @Flag(help: "One host at a time; start and restart wait until each is healthy before the next.")
    var rolling = false
}

/// Runs one agent control request on every selected instance.
enum Control {
    static func run(_ method: AgentMethod, _ options: ControlOptions, healthTimeout: Duration? = nil) async throws {
        let loaded = try options.fleet.loadFleet(services: [options.service])
        let placed = loaded.desired.instances(of: options.service)
        let wanted = Set(try loaded.selectedHosts().map(\.name))
        let instances = placed.filter { wanted.contains($0.host.name) }
        guard !instances.isEmpty else {
            throw UsageError(message: "\(options.service) is not placed on \(options.fleet.hosts ?? "any host") in \(loaded.manifest.path)")
        }
        // The journal records the leases taken; these commands make no entry of their own.
        let status = try await options.fleet.withJournal(loaded.manifest) { journal in
            try await withFleetSession(loaded, hosts: instances.map(\.host),
                                       lease: .take(command: method.rawValue, journal: journal)) { context in
                await control(method, options, instances, rolling: options.rolling, healthTimeout: healthTimeout, context: context)
            }
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Carries out `method` on `instances` through the rollout: all at once, or one at a time,
    /// each healthy before the next. The exit status: 2 when a host was not reached, 1 when an
    /// instance failed.
    private static func control(_ method: AgentMethod, _ options: ControlOptions, _ instances: [DesiredInstance],
                                rolling: Bool, healthTimeout: Duration?, context: FleetSession<SSHFleetHost>) async -> Int32 {
        let unreached = context.unreachable.values.map(ExitCodes.status(of:))
        // The session's instances: their revisions are keyed as the agents report them.
        let keys = Set(instances.map(\.key))
        let reached = context.desired.instances.filter { keys.contains($0.key) && context.hosts[$0.host.name] != nil }
        guard !reached.isEmpty else { return ExitCodes.combined(unreached) }
        let plan = Planner.control(method, instances: reached, desired: context.desired, waitHealthy: rolling)
        var rollout = RolloutOptions()
        rollout.maxParallel = rolling ? 1 : reached.count
        rollout.healthDeadline = healthTimeout
        let progress = RolloutProgress(journal: nil, entry: nil)
        let result = await Rollout(plan: plan, desired: context.desired, hosts: context.fleetHosts, options: rollout,
                                   events: progress.handle).run()
        progress.finish()
        Console.line(RolloutReport.text(result, command: method.rawValue))
        return ExitCodes.combined(unreached + [result.failures.isEmpty ? 0 : ExitCodes.failed])
    }
}

struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start a deployed service (clears a failed state).")
    @OptionGroup var options: ControlOptions
    func run() async throws { try await Control.run(.start, options) }
}

struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop a service: SIGTERM, its stop timeout, then SIGKILL.")
    @OptionGroup var options: ControlOptions
    func run() async throws { try await Control.run(.stop, options) }
}

struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Restart a service; --rolling does one host at a time, each healthy before the next.")
    @OptionGroup var options: ControlOptions
    @Option(name: .customLong("health-timeout"), help: "How long each instance may take to become healthy.")
    var healthTimeout: String?
    func validate() throws {
        if let healthTimeout, DurationText.parse(healthTimeout) == nil {
            throw ValidationError("--health-timeout must be a duration such as 90s, got '\(healthTimeout)'")
        }
    }
    func run() async throws { try await Control.run(.restart, options, healthTimeout: healthTimeout.flatMap(DurationText.parse)) }
}
