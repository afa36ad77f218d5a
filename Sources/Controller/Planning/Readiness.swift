import Foundation
import Shared

/// Whether dependents may start: every instance of a dependency healthy on its target release
/// (`all`, the default), or at least one (`any`).
public enum GatePolicy: String, Sendable, CaseIterable {
    case all
    case any
}

/// Pure verdicts about instances and gates, from what agents report.
public enum Readiness {
    /// Why an instance is not ready, or nil when it is: running its target release and
    /// definition, and healthy.
    public static func problem(_ instance: DesiredInstance, _ status: ServiceStatus?) -> String? {
        guard let status else { return "not known to the agent" }
        if status.state == .waiting { return StatusText.waiting(status) }
        if status.state != .running { return status.state.rawValue }
        let target = instance.spec.release ?? instance.artifact.id
        if let release = status.release, release != target {
            return "running release \(release), not \(target)"
        }
        if !instance.isCurrent(revision: status.revision) || !status.specCurrent { return "running an older definition" }
        if status.health.state != .healthy { return "health \(status.health.state.rawValue)" }
        return nil
    }

    /// The gate of a service whose dependencies are `dependencies`.
    public enum Gate: Equatable, Sendable {
        /// Every dependency is satisfied.
        case open
        /// Still waiting, with what for (`job-config@h1: health unknown`).
        case waiting([String])
        /// A dependency cannot become ready without intervention (an instance is `failed`).
        case blocked(String)
    }

    /// Evaluates the gate from the latest statuses (`statuses[host][service]`).
    public static func gate(dependencies: [String], desired: DesiredFleet,
                            statuses: [String: [String: ServiceStatus]], policy: GatePolicy) -> Gate {
        var waiting: [String] = []
        for dependency in dependencies {
            let instances = desired.instances(of: dependency)
            if instances.isEmpty { continue }  // not placed in this fleet: nothing to wait for
            let problems = instances.map { ($0, problem($0, statuses[$0.host.name]?[dependency])) }
            let ready = problems.filter { $0.1 == nil }.count
            let satisfied = policy == .all ? ready == instances.count : ready > 0
            if satisfied { continue }
            for (instance, problem) in problems {
                guard let problem else { continue }
                if statuses[instance.host.name]?[dependency]?.state == .failed, policy == .all || ready == 0 {
                    return .blocked("\(instance.label) is failed")
                }
                waiting.append("\(instance.label): \(problem)")
            }
        }
        return waiting.isEmpty ? .open : .waiting(waiting)
    }

    /// How an instance that was just started is doing.
    public enum Progress: Equatable, Sendable {
        case healthy
        case pending(String)
        case failed(String)
    }

    /// Judges a starting instance: healthy, still coming up, or failed (the agent gave up, or
    /// the process exited on its own since the start, i.e. its last exit is no longer
    /// `baseline`, the one recorded right after the start request). Host clocks are never
    /// compared with ours.
    /// With `exitsAllowed`, exits since `baseline` are not failures (an instance its agent is
    /// restarting with backoff, e.g. after a reboot).
    public static func progress(_ instance: DesiredInstance, _ status: ServiceStatus?, baseline: ExitRecord?,
                                exitsAllowed: Bool = false) -> Progress {
        guard let status else { return .pending("not known to the agent yet") }
        if status.state == .failed {
            return .failed("the agent gave up restarting it: \(status.failedReason ?? status.lastExit?.summary ?? "repeated failures")")
        }
        if !exitsAllowed, let exit = status.lastExit, !exit.requested, exit != baseline {
            return .failed("exited during start-up (\(exit.summary))")
        }
        if let problem = problem(instance, status) {
            let detail = (status.state == .waiting ? status.waitingReason : status.health.lastError).map { ": \($0)" } ?? ""
            return .pending(problem + detail)
        }
        return .healthy
    }
}
