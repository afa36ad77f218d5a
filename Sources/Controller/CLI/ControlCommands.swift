import ArgumentParser
import Foundation
import Shared

/// Options shared by start, stop and restart.
struct ControlOptions: ParsableArguments {
    @OptionGroup var fleet: FleetOptions
    @Argument(help: "The service, e.g. job-execute.")
    var service: String
}

/// Runs one agent control request on every selected instance.
enum Control {
    static func run(_ method: AgentMethod, _ options: ControlOptions, rolling: Bool, healthTimeout: Duration?) async throws {
        let loaded = try options.fleet.loadFleet(services: [options.service])
        let placed = loaded.desired.instances(of: options.service)
        let wanted = Set(try loaded.selectedHosts().map(\.name))
        let instances = placed.filter { wanted.contains($0.host.name) }
        guard !instances.isEmpty else {
            throw UsageError(message: "\(options.service) is not placed on \(options.fleet.hosts ?? "any host") in \(loaded.manifest.path)")
        }
        let failures = try await withFleetSession(loaded, hosts: instances.map(\.host)) { context in
            await control(method, options, instances, rolling: rolling, healthTimeout: healthTimeout, context: context)
        }
        if failures > 0 { throw ExitCode(ExitCodes.failed) }
    }

    /// Carries out `method` on `instances`, all at once or one at a time; how many failed,
    /// unreachable hosts included.
    private static func control(_ method: AgentMethod, _ options: ControlOptions, _ instances: [DesiredInstance],
                                rolling: Bool, healthTimeout: Duration?, context: FleetSession<SSHFleetHost>) async -> Int {
        var failures = context.unreachable.count
        let act: @Sendable (DesiredInstance) async -> Bool = { instance in
            guard let host = context.hosts[instance.host.name] else { return false }
            do {
                let result = try await host.control(method, [options.service])
                let status = result.services.first
                Console.progress("\(instance.label): \(method.rawValue) done, now \(status?.state.rawValue ?? "unknown")"
                    + (status?.lastExit.map { " (last exit: \($0.summary))" } ?? ""))
                guard method != .stop, rolling else { return true }
                return await waitHealthy(instance, host: host, baseline: status?.lastExit, context: context,
                                         deadline: healthTimeout ?? instance.healthDeadline)
            } catch {
                Console.error("\(instance.label): \(method.rawValue) failed: \(error)")
                return false
            }
        }
        if rolling {
            for instance in instances where context.hosts[instance.host.name] != nil {
                if !(await act(instance)) {
                    failures += 1
                    Console.error("stopping the rolling \(method.rawValue): \(instance.label) is not healthy")
                    break
                }
            }
        } else {
            failures += await withTaskGroup(of: Bool.self) { group in
                for instance in instances { group.addTask { await act(instance) } }
                var failed = 0
                for await ok in group where !ok { failed += 1 }
                return failed
            }
        }
        return failures
    }

    static func waitHealthy(_ instance: DesiredInstance, host: SSHFleetHost, baseline: ExitRecord?,
                            context: FleetSession<SSHFleetHost>, deadline: Duration) async -> Bool {
        let clock = ContinuousClock(), end = clock.now + deadline
        while clock.now < end {
            let status = try? await host.status(services: [instance.service]).services.first
            var current = instance
            current.spec.release = status?.release ?? instance.spec.release
            current.spec.revision = status?.revision
            switch Readiness.progress(current, status, baseline: baseline) {
            case .healthy:
                Console.progress("\(instance.label): healthy")
                return true
            case .failed(let reason):
                Console.error("\(instance.label): \(reason)")
                return false
            case .pending:
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        Console.error("\(instance.label): not healthy within \(DurationText.format(deadline))")
        return false
    }
}

struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start a deployed service (clears a failed state).")
    @OptionGroup var options: ControlOptions
    @Flag(help: "One host at a time, each healthy before the next.")
    var rolling = false
    func run() async throws { try await Control.run(.start, options, rolling: rolling, healthTimeout: nil) }
}

struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop a service: SIGTERM, its stop timeout, then SIGKILL.")
    @OptionGroup var options: ControlOptions
    @Flag(help: "One host at a time.")
    var rolling = false
    func run() async throws { try await Control.run(.stop, options, rolling: rolling, healthTimeout: nil) }
}

struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Restart a service; --rolling does one host at a time, each healthy before the next.")
    @OptionGroup var options: ControlOptions
    @Flag(help: "One host at a time, each healthy before the next.")
    var rolling = false
    @Option(name: .customLong("health-timeout"), help: "How long each instance may take to become healthy.")
    var healthTimeout: String?
    func validate() throws {
        if let healthTimeout, DurationText.parse(healthTimeout) == nil {
            throw ValidationError("--health-timeout must be a duration such as 90s, got '\(healthTimeout)'")
        }
    }
    func run() async throws {
        try await Control.run(.restart, options, rolling: rolling, healthTimeout: healthTimeout.flatMap(DurationText.parse))
    }
}
