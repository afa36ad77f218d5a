import Foundation
import Shared

/// `jobfleet status`: every placed instance with what its agent says, plus instances the agents
/// run that the manifest no longer places, and per-service desired versus actual counts.
public struct StatusReport: Sendable {
    /// One instance's row.
    public struct Row: Sendable, Encodable {
        public var host: String
        public var service: String
        /// `running`, `stopped`, `backoff`, `failed`, `stopping`, `waiting` (held by its agent
        /// until its start gates pass), `missing` (placed, unknown to the agent) or
        /// `unreachable` (the host did not answer).
        public var state: String
        public var health: String
        public var pid: Int32?
        public var release: String?
        /// The bk-job release version the running process was started with, as its agent reports.
        public var version: String?
        public var targetRelease: String?
        public var startedAt: Date?
        public var healthySince: Date?
        public var uptimeSeconds: Double?
        public var restarts: Int
        public var rssBytes: UInt64?
        public var cpuPercent: Double?
        public var lastExit: String?
        /// Placed by the manifest on this host.
        public var placed: Bool
        public var error: String?
        /// Why the last health probe failed, while the instance is not healthy
        /// (`GET /actuator/health answered 200 but reports "status":"DOWN", expected "UP"`).
        public var healthError: String? = nil
        /// While `waiting`: the services its start waits for, since when, and why the last
        /// check did not pass.
        public var waitingFor: [String]? = nil
        public var waitingSince: Date? = nil
        public var waitingReason: String? = nil
        /// Who holds the host's deployment lease now (its owner as the agent reports it), and
        /// since when; absent when nobody does.
        public var leaseHolder: String? = nil
        public var leaseSince: Date? = nil

        enum CodingKeys: String, CodingKey {
            case host, service, state, health, pid, release, version
            case targetRelease = "target_release"
            case startedAt = "started_at", healthySince = "healthy_since"
            case uptimeSeconds = "uptime_seconds", restarts
            case rssBytes = "rss_bytes", cpuPercent = "cpu_percent", lastExit = "last_exit", placed, error
            case healthError = "health_error"
            case waitingFor = "waiting_for", waitingSince = "waiting_since", waitingReason = "waiting_reason"
            case leaseHolder = "lease_holder", leaseSince = "lease_since"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(host, forKey: .host)
            try c.encode(service, forKey: .service)
            try c.encode(state, forKey: .state)
            try c.encode(health, forKey: .health)
            try c.encode(pid, forKey: .pid)
            try c.encode(release, forKey: .release)
            try c.encode(version, forKey: .version)
            try c.encode(targetRelease, forKey: .targetRelease)
            try c.encode(startedAt.map(Format.rfc3339), forKey: .startedAt)
            try c.encode(healthySince.map(Format.rfc3339), forKey: .healthySince)
            try c.encode(uptimeSeconds, forKey: .uptimeSeconds)
            try c.encode(restarts, forKey: .restarts)
            try c.encode(rssBytes, forKey: .rssBytes)
            try c.encode(cpuPercent, forKey: .cpuPercent)
            try c.encode(lastExit, forKey: .lastExit)
            try c.encode(placed, forKey: .placed)
            try c.encodeIfPresent(error, forKey: .error)
            try c.encodeIfPresent(healthError, forKey: .healthError)
            try c.encodeIfPresent(waitingFor, forKey: .waitingFor)
            try c.encodeIfPresent(waitingSince.map(Format.rfc3339), forKey: .waitingSince)
            try c.encodeIfPresent(waitingReason, forKey: .waitingReason)
            try c.encodeIfPresent(leaseHolder, forKey: .leaseHolder)
            try c.encodeIfPresent(leaseSince.map(Format.rfc3339), forKey: .leaseSince)
        }
    }

    /// A deployment lease held on a host when its agent answered.
    public struct HostLease: Sendable {
        public var host: String
        /// The owner as the lease carries it: `user@host jobfleet COMMAND FLEET pid N run TOKEN@BOOT`.
        public var holder: String
        /// When the agent granted it.
        public var since: Date
        /// How long it had been held when the agent answered (by the agent's clock).
        public var heldSeconds: Double
        /// When it lapses unless renewed.
        public var expiresAt: Date
    }

    public var rows: [Row]
    /// Services in catalog order, for the counts table.
    public var services: [String]
    /// The leases held now, by host name.
    public var leases: [HostLease] = []

    /// Builds the report. `statuses[host]` is the agent's answer, or the error it failed with.
    public static func build(desired: DesiredFleet, statuses: [String: Result<StatusResult, any Error>]) -> StatusReport {
        var rows: [Row] = []
        for host in desired.manifest.hosts {
            let placed = desired.instances(on: host.name)
            switch statuses[host.name] {
            case .success(let status)?:
                let byName = Dictionary(status.services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                for instance in placed {
                    rows.append(row(host.name, instance.service, byName[instance.service], target: instance.artifact.id, placed: true))
                }
                for service in status.services where !placed.contains(where: { $0.service == service.name }) {
                    rows.append(row(host.name, service.name, service, target: nil, placed: false))
                }
            case .failure(let error)?:
                for instance in placed {
                    var unreachable = row(host.name, instance.service, nil, target: instance.artifact.id, placed: true)
                    unreachable.state = "unreachable"
                    unreachable.health = "unknown"
                    unreachable.error = "\(error)"
                    rows.append(unreachable)
                }
            case nil:
                continue
            }
        }
        var leases: [HostLease] = []
        for host in desired.manifest.hosts {
            guard case .success(let status)? = statuses[host.name], let lease = status.lease else { continue }
            leases.append(HostLease(host: host.name, holder: lease.owner, since: lease.acquiredAt,
                                    heldSeconds: max(0, status.at.timeIntervalSince(lease.acquiredAt)), expiresAt: lease.expiresAt))
            for index in rows.indices where rows[index].host == host.name {
                rows[index].leaseHolder = lease.owner
                rows[index].leaseSince = lease.acquiredAt
            }
        }
        let order = desired.catalog.services.map(\.name)
        rows.sort { (order.firstIndex(of: $0.service) ?? .max, $0.host) < (order.firstIndex(of: $1.service) ?? .max, $1.host) }
        let services = order.filter { name in rows.contains { $0.service == name } }
        return StatusReport(rows: rows, services: services, leases: leases)
    }

    static func row(_ host: String, _ service: String, _ status: ServiceStatus?, target: String?, placed: Bool) -> Row {
        guard let status else {
            return Row(host: host, service: service, state: "missing", health: "none", targetRelease: target,
                       restarts: 0, placed: placed)
        }
        var row = Row(host: host, service: service, state: status.state.rawValue, health: status.health.state.rawValue,
                   pid: status.pid, release: status.release ?? status.activeRelease, version: status.version,
                   targetRelease: target,
                   startedAt: status.startedAt, healthySince: status.healthySince ?? status.health.since.flatMap {
                       status.health.state == .healthy ? $0 : nil },
                   uptimeSeconds: status.uptimeSeconds, restarts: status.restarts, rssBytes: status.rssBytes,
                   cpuPercent: status.cpuPercent, lastExit: status.lastExit?.summary, placed: placed)
        if status.health.state != .healthy { row.healthError = status.health.lastError }
        if status.state == .waiting {
            row.waitingFor = status.waitingFor
            row.waitingSince = status.waitingSince
            row.waitingReason = status.waitingReason
        }
        return row
    }

    /// True when every placed instance runs healthy on its target release and nothing extra runs.
    public var allHealthy: Bool {
        rows.allSatisfy { row in
            row.placed ? (row.state == "running" && row.health == "healthy" && row.release == row.targetRelease)
                : row.state == "stopped"
        }
    }

    /// The instance table and the desired-versus-actual counts.
    public func text() -> String {
        var table: [[String]] = [["SERVICE", "HOST", "STATE", "HEALTH", "RELEASE", "VERSION", "PID", "UPTIME", "RESTARTS", "RSS"]]
        for row in rows {
            var release = row.release.map { String($0.prefix(12)) } ?? "-"
            if let target = row.targetRelease, row.release != nil, row.release != target { release += " (→\(target.prefix(8)))" }
            table.append([
                row.service + (row.placed ? "" : " (not placed)"), row.host,
                row.waitingFor.map { StatusText.waiting(for: $0) } ?? row.state, row.health, release,
                row.version ?? "-", row.pid.map(String.init) ?? "-", row.uptimeSeconds.map(Format.uptime) ?? "-", String(row.restarts),
                row.rssBytes.map(Format.bytes) ?? "-",
            ])
        }
        var counts: [[String]] = [["SERVICE", "DESIRED", "RUNNING", "HEALTHY", "ON TARGET"]]
        for service in services {
            let placed = rows.filter { $0.service == service && $0.placed }
            counts.append([
                service, String(placed.count), String(placed.filter { $0.state == "running" }.count),
                String(placed.filter { $0.health == "healthy" }.count),
                String(placed.filter { $0.release != nil && $0.release == $0.targetRelease }.count),
            ])
        }
        var out = Format.table(table) + "\n\n" + Format.table(counts)
        if !leases.isEmpty {
            var held = [["HOST", "LEASE HELD BY", "SINCE", "FOR"]]
            for lease in leases {
                held.append([lease.host, lease.holder, Format.rfc3339(lease.since), Format.uptime(lease.heldSeconds)])
            }
            out += "\n\n" + Format.table(held)
        }
        let problems = rows.compactMap { row in row.error.map { "\(row.host): \($0)" } }
        if !problems.isEmpty { out += "\n\n" + Set(problems).sorted().joined(separator: "\n") }
        let unhealthy = rows.compactMap { row in row.healthError.map { "\(row.service)@\(row.host) \(row.health): \($0)" } }
        if !unhealthy.isEmpty { out += "\n\n" + unhealthy.joined(separator: "\n") }
        let held = rows.compactMap { row -> String? in
            guard let services = row.waitingFor else { return nil }
            let since = row.waitingSince.map { " since \(Format.rfc3339($0))" } ?? ""
            return "\(row.service)@\(row.host) \(StatusText.waiting(for: services))\(since)" + (row.waitingReason.map { ": \($0)" } ?? "")
        }
        if !held.isEmpty { out += "\n\n" + held.joined(separator: "\n") }
        return out
    }
}
