import Foundation
import PostgresNIO

/// What `history` and `rollback` read from the shared journal.
extension PostgresJournal {
    public func history(fleet: String, limit: Int) async throws -> [DeploymentRecord] {
        try await explained { try await readHistory(fleet: fleet, limit: limit) }
    }

    private func readHistory(fleet: String, limit: Int) async throws -> [DeploymentRecord] {
        await flush()
        let rows = try await connection.query("""
            SELECT d.id, d.fleet, d.command, d.arguments, d.operator, d.started_at, d.finished_at, d.result, d.summary,
                   d.version, d.bytes_placed, d.bytes_sent,
                   (SELECT count(*) FROM jobfleet_step s WHERE s.deployment_id = d.id) AS steps,
                   (SELECT count(*) FROM jobfleet_step s WHERE s.deployment_id = d.id AND NOT s.ok) AS failed_steps
            FROM jobfleet_deployment d WHERE d.fleet = \(fleet) ORDER BY d.id DESC LIMIT \(limit)
            """, logger: logger)
        var records: [DeploymentRecord] = []
        for try await row in rows {
            let cells = row.makeRandomAccess()
            records.append(DeploymentRecord(
                id: try cells["id"].decode(Int64.self), fleet: try cells["fleet"].decode(String.self),
                command: try cells["command"].decode(String.self), arguments: try cells["arguments"].decode(String.self),
                operator: try cells["operator"].decode(String.self), startedAt: try cells["started_at"].decode(Date.self),
                finishedAt: try cells["finished_at"].decode(Date?.self), result: try cells["result"].decode(String.self),
                summary: try cells["summary"].decode(String.self), version: try cells["version"].decode(String?.self),
                steps: Int(try cells["steps"].decode(Int64.self)), failedSteps: Int(try cells["failed_steps"].decode(Int64.self)),
                bytesPlaced: try cells["bytes_placed"].decode(Int64?.self), bytesSent: try cells["bytes_sent"].decode(Int64?.self)))
        }
        return records
    }

    public func steps(of deployment: Int64) async throws -> [StepRecord] {
        try await explained { try await readSteps(of: deployment) }
    }

    private func readSteps(of deployment: Int64) async throws -> [StepRecord] {
        await flush()
        let rows = try await connection.query("""
            SELECT at, host, service, kind, message, seconds, ok FROM jobfleet_step
            WHERE deployment_id = \(deployment) ORDER BY id
            """, logger: logger)
        var steps: [StepRecord] = []
        for try await (at, host, service, kind, message, seconds, ok) in rows.decode(
            (Date, String?, String?, String, String, Double?, Bool).self) {
            steps.append(StepRecord(at: at, host: host, service: service, kind: kind, message: message, seconds: seconds, ok: ok))
        }
        return steps
    }

    public func releases(fleet: String, host: String, service: String) async throws -> [String] {
        try await explained { try await readReleases(fleet: fleet, host: host, service: service) }
    }

    private func readReleases(fleet: String, host: String, service: String) async throws -> [String] {
        let rows = try await connection.query("""
            SELECT r.release FROM jobfleet_instance_release r JOIN jobfleet_deployment d ON d.id = r.deployment_id
            WHERE d.fleet = \(fleet) AND r.host = \(host) AND r.service = \(service) ORDER BY r.id DESC
            """, logger: logger)
        var seen = Set<String>()
        var releases: [String] = []
        for try await release in rows.decode(String.self) where seen.insert(release).inserted { releases.append(release) }
        return releases
    }

    public func version(fleet: String, host: String, service: String, release: String) async throws -> String? {
        try await explained { try await readVersion(fleet: fleet, host: host, service: service, release: release) }
    }

    private func readVersion(fleet: String, host: String, service: String, release: String) async throws -> String? {
        let rows = try await connection.query("""
            SELECT d.version FROM jobfleet_instance_release r JOIN jobfleet_deployment d ON d.id = r.deployment_id
            WHERE d.fleet = \(fleet) AND r.host = \(host) AND r.service = \(service) AND r.release = \(release)
              AND d.version IS NOT NULL
            ORDER BY r.id DESC LIMIT 1
            """, logger: logger)
        for try await version in rows.decode(String.self) { return version }
        return nil
    }

    public func leases(fleet: String, limit: Int) async throws -> [LeaseRecord] {
        try await explained { try await readLeases(fleet: fleet, limit: limit) }
    }

    private func readLeases(fleet: String, limit: Int) async throws -> [LeaseRecord] {
        await flush()
        let rows = try await connection.query("""
            SELECT host, operator, command, run, token, acquired_at, released_at, note FROM jobfleet_lease
            WHERE fleet = \(fleet) ORDER BY acquired_at DESC, id DESC LIMIT \(limit)
            """, logger: logger)
        var leases: [LeaseRecord] = []
        for try await (host, who, command, run, token, acquired, released, note) in rows.decode(
            (String, String, String, String, Int64, Date, Date?, String?).self) {
            leases.append(LeaseRecord(fleet: fleet, host: host, operator: who, command: command, run: run, token: token,
                                      acquiredAt: acquired, releasedAt: released, note: note))
        }
        return leases
    }
}
