import Foundation
import GRDB

/// The controller's SQLite journal: every deployment-like command, its steps, results and
/// durations, and the release each instance ended on. History, audit and rollback read it; the
/// fleet itself (the agents) stays the source of truth for what runs.
public final class Journal: Sendable {
    let db: DatabaseQueue
    public let path: String
    /// Applied to every message, summary and argument list before it is stored.
    let mask: SecretMask

    /// `$JOBFLEET_JOURNAL`, else `$XDG_STATE_HOME/jobfleet/journal.sqlite` (`~/.local/state/…`).
    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        if let path = env["JOBFLEET_JOURNAL"], !path.isEmpty { return path }
        return "\(ControllerDirectories.state)/journal.sqlite"
    }

    /// Opens (creating when needed) the journal at `path`; what is recorded passes through `mask`.
    public init(path: String = Journal.defaultPath, mask: SecretMask = .urlsOnly) throws {
        self.path = path
        self.mask = mask
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            // The default directory is jobfleet's own and is tightened; a directory the operator
            // chose (JOBFLEET_JOURNAL, --journal) is created private but otherwise left alone.
            try PrivateFiles.makeDirectory(directory, tighten: path == Self.defaultPath)
        }
        // SQLite gives its journal and WAL files the database file's mode: 0600 covers them.
        try PrivateFiles.prepare(path)
        var config = Configuration()
        config.busyMode = .timeout(10)
        db = try DatabaseQueue(path: path, configuration: config)
        try Self.migrator.migrate(db)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "deployment") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("fleet", .text).notNull().indexed()
                t.column("manifest", .text).notNull()
                t.column("command", .text).notNull()
                t.column("arguments", .text).notNull()
                t.column("operator", .text).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
                t.column("result", .text).notNull()
                t.column("summary", .text).notNull().defaults(to: "")
            }
            try db.create(table: "step") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("deployment", onDelete: .cascade).notNull()
                t.column("at", .datetime).notNull()
                t.column("host", .text)
                t.column("service", .text)
                t.column("kind", .text).notNull()
                t.column("message", .text).notNull()
                t.column("seconds", .double)
                t.column("ok", .boolean).notNull()
            }
            try db.create(table: "instanceRelease") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("deployment", onDelete: .cascade).notNull()
                t.column("host", .text).notNull()
                t.column("service", .text).notNull()
                t.column("release", .text).notNull()
                t.column("revision", .text)
                t.column("at", .datetime).notNull()
            }
        }
        // The release version a deploy brought; older entries have none.
        migrator.registerMigration("v2-version") { db in
            try db.alter(table: "deployment") { t in t.add(column: "version", .text) }
        }
        // Bytes a deploy placed on hosts and sent to them; older entries have none.
        migrator.registerMigration("v3-bytes") { db in
            try db.alter(table: "deployment") { t in
                t.add(column: "bytesPlaced", .integer)
                t.add(column: "bytesSent", .integer)
            }
        }
        return migrator
    }

    /// Starts a journal entry; `version` is the release version it deploys, when known. Entries
    /// of the same fleet still marked running belong to a controller that died: they are
    /// marked interrupted.
    public func begin(fleet: String, manifest: String, command: String, arguments: [String],
                      version: String? = nil) throws -> Int64 {
        let who = OperatorName.current
        return try db.write { db in
            try db.execute(sql: "UPDATE deployment SET result = 'interrupted', finishedAt = ? WHERE fleet = ? AND result = 'running'",
                           arguments: [Date(), fleet])
            try db.execute(sql: """
                INSERT INTO deployment (fleet, manifest, command, arguments, operator, startedAt, result, version)
                VALUES (?, ?, ?, ?, ?, ?, 'running', ?)
                """, arguments: [fleet, manifest, command, mask(arguments.joined(separator: " ")), who, Date(), version])
            return db.lastInsertedRowID
        }
    }

    /// Records one step. Journal failures never stop a rollout: they are ignored here.
    public func step(_ deployment: Int64, host: String?, service: String?, kind: String, message: String,
                     seconds: Double? = nil, ok: Bool = true) {
        try? db.write { db in
            try db.execute(sql: """
                INSERT INTO step (deploymentId, at, host, service, kind, message, seconds, ok)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [deployment, Date(), host, service, kind, mask(message), seconds, ok])
        }
    }

    /// Records the release an instance runs after this deployment.
    public func release(_ deployment: Int64, host: String, service: String, release: String, revision: String?) {
        try? db.write { db in
            try db.execute(sql: """
                INSERT INTO instanceRelease (deploymentId, host, service, release, revision, at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [deployment, host, service, release, revision, Date()])
        }
    }

    /// Closes the entry with its result (`succeeded`, `failed`, `no-op`) and a one-line summary.
    /// `bytes` are what the entry placed on hosts and what it sent for that, when it uploaded.
    public func finish(_ deployment: Int64, result: String, summary: String, bytes: (placed: UInt64, sent: UInt64)? = nil) {
        try? db.write { db in
            try db.execute(sql: "UPDATE deployment SET result = ?, summary = ?, finishedAt = ?, bytesPlaced = ?, bytesSent = ? WHERE id = ?",
                           arguments: [result, mask(summary), Date(), bytes.map { Int64($0.placed) }, bytes.map { Int64($0.sent) },
                                       deployment])
        }
    }

    /// The most recent entries of `fleet`, newest first.
    public func history(fleet: String, limit: Int = 20) throws -> [DeploymentRecord] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.*, (SELECT COUNT(*) FROM step s WHERE s.deploymentId = d.id) AS steps,
                       (SELECT COUNT(*) FROM step s WHERE s.deploymentId = d.id AND s.ok = 0) AS failedSteps
                FROM deployment d WHERE fleet = ? ORDER BY id DESC LIMIT ?
                """, arguments: [fleet, limit]).map(DeploymentRecord.init(row:))
        }
    }

    /// The steps of one entry, in order.
    public func steps(of deployment: Int64) throws -> [StepRecord] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM step WHERE deploymentId = ? ORDER BY id", arguments: [deployment])
                .map(StepRecord.init(row:))
        }
    }

    /// Releases `service` ran on `host`, newest first, without repeats.
    public func releases(fleet: String, host: String, service: String) throws -> [String] {
        try db.read { db in
            let all = try String.fetchAll(db, sql: """
                SELECT r.release FROM instanceRelease r JOIN deployment d ON d.id = r.deploymentId
                WHERE d.fleet = ? AND r.host = ? AND r.service = ? ORDER BY r.id DESC
                """, arguments: [fleet, host, service])
            var seen = Set<String>()
            return all.filter { seen.insert($0).inserted }
        }
    }

    /// The release version recorded with the latest entry that put `service` on `host` on
    /// `release`; nil when none recorded one.
    public func version(fleet: String, host: String, service: String, release: String) throws -> String? {
        try db.read { db in
            try String.fetchOne(db, sql: """
                SELECT d.version FROM instanceRelease r JOIN deployment d ON d.id = r.deploymentId
                WHERE d.fleet = ? AND r.host = ? AND r.service = ? AND r.release = ? AND d.version IS NOT NULL
                ORDER BY r.id DESC LIMIT 1
                """, arguments: [fleet, host, service, release])
        }
    }
}

/// One journal entry.
public struct DeploymentRecord: Sendable, Codable {
    public var id: Int64
    public var fleet: String
    public var command: String
    public var arguments: String
    public var `operator`: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var result: String
    public var summary: String
    /// The release version the entry deployed; nil for other commands and older entries.
    public var version: String?
    public var steps: Int
    public var failedSteps: Int
    /// Bytes of files the entry placed on hosts, and bytes it sent over SSH to do so (less
    /// when hosts had chunks of them); nil for entries that uploaded nothing or are older.
    public var bytesPlaced: Int64?
    public var bytesSent: Int64?

    init(row: Row) {
        id = row["id"]
        fleet = row["fleet"]
        command = row["command"]
        arguments = row["arguments"]
        self.operator = row["operator"]
        startedAt = row["startedAt"]
        finishedAt = row["finishedAt"]
        result = row["result"]
        summary = row["summary"]
        version = row["version"]
        steps = row["steps"] ?? 0
        failedSteps = row["failedSteps"] ?? 0
        bytesPlaced = row["bytesPlaced"]
        bytesSent = row["bytesSent"]
    }

    /// Wall time, when finished.
    public var seconds: Double? { finishedAt.map { $0.timeIntervalSince(startedAt) } }
}

/// One step of a journal entry.
public struct StepRecord: Sendable, Codable {
    public var at: Date
    public var host: String?
    public var service: String?
    public var kind: String
    public var message: String
    public var seconds: Double?
    public var ok: Bool

    init(row: Row) {
        at = row["at"]
        host = row["host"]
        service = row["service"]
        kind = row["kind"]
        message = row["message"]
        seconds = row["seconds"]
        ok = row["ok"]
    }
}
