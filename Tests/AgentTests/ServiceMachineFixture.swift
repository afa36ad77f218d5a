import Foundation
@testable import Agent
@testable import Shared

/// Times, specs and machines in known states for the state machine's tests. Time is a value:
/// `t0 + 5` is five seconds later, and nothing waits.
enum Fixture {
    static let t0 = Date(timeIntervalSince1970: 100_000)
    static let pid: Int32 = 4242
    static let startTicks: UInt64 = 987_654
    static let check = HealthCheckSpec(probe: .tcp(host: "127.0.0.1", port: 10500), startGraceSeconds: 10,
                                       intervalSeconds: 5, healthyThreshold: 1, unhealthyThreshold: 2)

    static func spec(command: [String] = ["java", "-jar", "job-manage.jar"], desired: DesiredState = .running,
                     health: HealthCheckSpec? = nil, stopTimeout: Double = 20,
                     restart: RestartPolicy = RestartPolicy(), revision: String? = nil,
                     version: String? = nil) -> ServiceSpec {
        var spec = ServiceSpec(name: "job-manage", command: command, desired: desired, health: health,
                               stopTimeoutSeconds: stopTimeout, restart: restart)
        spec.revision = revision
        spec.version = version
        return spec
    }

    /// A machine whose process (``pid``) was spawned by this agent at `at`.
    static func running(_ spec: ServiceSpec = spec(), at: Date = t0) -> ServiceMachine {
        var machine = ServiceMachine(spec: spec)
        _ = machine.handle(.applied(spec, at: at))
        _ = machine.handle(.spawned(pid: pid, startTicks: startTicks, release: "r1", at: at))
        return machine
    }

    /// A running machine as a new agent process decodes it from the state file.
    static func saved(_ machine: ServiceMachine) throws -> ServiceMachine {
        try JSONDecoder().decode(ServiceMachine.self, from: JSONEncoder().encode(machine))
    }
}

extension [ServiceAction] {
    /// The reports among the actions.
    var reports: [ServiceReport] {
        compactMap { if case .report(let report) = $0 { report } else { nil } }
    }

    /// The actions that are not reports.
    var effects: [ServiceAction] {
        filter { if case .report = $0 { false } else { true } }
    }
}
