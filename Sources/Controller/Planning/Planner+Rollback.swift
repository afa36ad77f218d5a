import Shared

/// A plan that puts instances back on an earlier release.
public struct RollbackPlan: Sendable {
    /// One wave per service, in catalog order, every instance replaced.
    public var plan: Plan
    /// The fleet as the rollback leaves it: rolled-back instances on their earlier release.
    public var desired: DesiredFleet
    /// Instances that cannot be rolled back, and why (nothing runs; no earlier release known).
    public var problems: [String]
}

extension Planner {
    /// Plans a rollback of `instances`: each goes back to `to`, or else to the newest release in
    /// its `history` (newest first) that is not the one it runs now, keeping its current command
    /// and configuration. `statuses[host]` is what each host's agent reported; `version` gives
    /// the release version an instance's earlier release had, when the journal knows it.
    public static func rollback(desired: DesiredFleet, instances: [DesiredInstance], statuses: [String: [ServiceStatus]],
                                to: String?, history: (DesiredInstance) -> [String],
                                version: (DesiredInstance, String) -> String? = { _, _ in nil }) -> RollbackPlan {
        var changes: [InstanceChange] = []
        var problems: [String] = []
        for instance in instances {
            guard let status = statuses[instance.host.name]?.first(where: { $0.name == instance.service }),
                  let current = status.release ?? status.activeRelease else {
                problems.append("\(instance.label): not running anything to roll back from")
                continue
            }
            guard let target = to ?? history(instance).first(where: { $0 != current }) else {
                problems.append("\(instance.label): no earlier release recorded in the journal; pass --to RELEASE")
                continue
            }
            var previous = instance
            previous.spec.release = target
            previous.spec.version = version(instance, target)
            previous.spec.revision = DesiredFleet.revision(of: previous.spec, files: instance.files + instance.served,
                                                           key: desired.revisionKeys[instance.host.name])
            previous.unkeyedRevision = nil
            changes.append(InstanceChange(instance: previous, action: .restart, reasons: ["release \(current) → \(target)"],
                                          previousRelease: current, previousRevision: status.revision))
        }
        var rolledBack = desired
        rolledBack.instances = desired.instances.map { instance in
            changes.first { $0.instance.key == instance.key }?.instance ?? instance
        }
        return RollbackPlan(plan: single(changes, desired: desired, order: .runbook), desired: rolledBack, problems: problems)
    }

    /// A plan that only sends `method` to `instances`; with `waitHealthy`, each must be healthy
    /// again before the rollout goes on (how many at once is the rollout's `maxParallel`).
    public static func control(_ method: AgentMethod, instances: [DesiredInstance], desired: DesiredFleet,
                               waitHealthy: Bool) -> Plan {
        let changes = instances.map {
            InstanceChange(instance: $0, action: .restart, reasons: [method.rawValue], previousRelease: nil)
        }
        var plan = single(changes, desired: desired, order: .runbook)
        plan.mode = .control(method, waitHealthy: waitHealthy)
        return plan
    }

    /// A plan of `changes` alone: no uploads, files or stops, one wave per service in catalog order.
    private static func single(_ changes: [InstanceChange], desired: DesiredFleet, order: StartOrder) -> Plan {
        let hosts = desired.manifest.hosts.map { host in
            HostPlan(host: host, uploads: [], files: [], changes: changes.filter { $0.instance.host.name == host.name }, stops: [])
        }
        let services = desired.catalog.services.map(\.name).filter { name in changes.contains { $0.instance.service == name } }
        return Plan(hosts: hosts, waves: services.map { [$0] }, order: order)
    }
}
