import Foundation
import GRDB

/// The journal in a SQLite file on this machine (the default): every deployment-like command,
/// its steps, results and durations, the release each instance ended on, and the leases taken.
/// History, audit and rollback read it; the fleet itself (the agents) stays the source of truth
/// for what runs.
public final class SQLiteJournal: JournalStore {
    let db: DatabaseQueue
    public let path: String
    /// Applied to every message, summary and argument list before it is stored.
    let mask: SecretMask
    /// This process's run: recorded with each entry, and what tells whether a running entry's
    /// controller has ended.
    let run: ControllerRun

    /// `$XDG_STATE_HOME/jobfleet/journal.sqlite` (`~/.local/state/jobfleet/journal.sqlite`).
    public static var standardPath: String { "\(ControllerDirectories.state)/journal.sqlite" }

    public var location: String { path }

    /// Opens (creating when needed) the journal at `path`; what is recorded passes through `mask`.
    init(path: String = SQLiteJournal.standardPath, mask: SecretMask = .urlsOnly, run: ControllerRun = .current) throws {
        self.path = path
        self.mask = mask
        self.run = run
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            // The default directory is jobfleet's own and is tightened; a directory the operator
            // chose (JOBFLEET_JOURNAL, --journal, the manifest) is created private but otherwise left alone.
            try PrivateFiles.makeDirectory(directory, tighten: path == Self.standardPath)
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
        // The run that wrote an entry, and the leases taken.
        migrator.registerMigration("v3-runs-leases") { db in
            try db.alter(table: "deployment") { t in t.add(column: "run", .text) }
            try db.create(table: "lease") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("fleet", .text).notNull().indexed()
                t.column("host", .text).notNull()
                t.column("operator", .text).notNull()
                t.column("command", .text).notNull()
                t.column("run", .text).notNull()
                t.column("token", .integer).notNull()
                t.column("acquiredAt", .datetime).notNull()
                t.column("releasedAt", .datetime)
                t.column("note", .text)
            }
        }
        // Bytes a deploy placed on hosts and sent to them; older entries have none.
        migrator.registerMigration("v4-bytes") { db in
            try db.alter(table: "deployment") { t in
                t.add(column: "bytesPlaced", .integer)
                t.add(column: "bytesSent", .integer)
            }
        }
        return migrator
    }

    /// Starts a journal entry; `version` is the release version it deploys, when known. Entries
    /// of the same fleet still marked running are marked interrupted when their controller has
    /// provably ended (see `ControllerRun.abandoned`): another operator's running entry is left alone.
    public func begin(fleet: String, manifest: String, command: String, arguments: [String],
                      version: String? = nil) throws -> Int64 {
        let who = OperatorName.current
        return try db.write { db in
            let running = try Row.fetchAll(db, sql: "SELECT id, run FROM deployment WHERE fleet = ? AND result = 'running'",
                                           arguments: [fleet])
            for row in running where run.abandoned(row["run"]) {
                try db.execute(sql: "UPDATE deployment SET result = 'interrupted', finishedAt = ? WHERE id = ?",
                               arguments: [Date(), row["id"] as Int64])
            }
            try db.execute(sql: """
                INSERT INTO deployment (fleet, manifest, command, arguments, operator, startedAt, result, version, run)
                VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)
                """, arguments: [fleet, manifest, command, mask(arguments.joined(separator: " ")), who, Date(), version, run.label])
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

    /// Records a lease event. Like steps, a failure to record is ignored.
    public func lease(_ event: LeaseEvent, fleet: String) {
        try? db.write { db in
            switch event {
            case let .taken(host, lease):
                let record = LeaseRecord(fleet: fleet, host: host, lease: lease)
                try db.execute(sql: """
                    INSERT INTO lease (fleet, host, operator, command, run, token, acquiredAt) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [fleet, host, record.operator, record.command, record.run, record.token, record.acquiredAt])
            case let .released(host, token, at):
                try db.execute(sql: """
                    UPDATE lease SET releasedAt = ?, note = 'released'
                    WHERE fleet = ? AND host = ? AND token = ? AND run = ? AND releasedAt IS NULL
                    """, arguments: [at, fleet, host, Int64(clamping: token), run.label])
            case let .takenOver(host, holder, by, at):
                try db.execute(sql: """
                    UPDATE lease SET releasedAt = ?, note = ? WHERE fleet = ? AND host = ? AND token = ? AND releasedAt IS NULL
                    """, arguments: [at, "taken over by \(LeaseOwner(by).operator) (\(LeaseOwner(by).run))", fleet, host,
                                     Int64(clamping: holder.token)])
            }
        }
    }

    /// The leases taken on `fleet`'s hosts, newest first.
    public func leases(fleet: String, limit: Int = 50) throws -> [LeaseRecord] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM lease WHERE fleet = ? ORDER BY acquiredAt DESC, id DESC LIMIT ?",
                             arguments: [fleet, limit]).map { row in
                LeaseRecord(fleet: row["fleet"], host: row["host"], operator: row["operator"], command: row["command"],
                            run: row["run"], token: row["token"], acquiredAt: row["acquiredAt"],
                            releasedAt: row["releasedAt"], note: row["note"])
            }
        }
    }

    /// Nothing to flush: every write above has finished when it returns.
    public func close() {}
}

extension DeploymentRecord {
    init(row: Row) {
        self.init(id: row["id"], fleet: row["fleet"], command: row["command"], arguments: row["arguments"],
                  operator: row["operator"], startedAt: row["startedAt"], finishedAt: row["finishedAt"],
                  result: row["result"], summary: row["summary"], version: row["version"],
                  steps: row["steps"] ?? 0, failedSteps: row["failedSteps"] ?? 0,
                  bytesPlaced: row["bytesPlaced"], bytesSent: row["bytesSent"])
    }
}

extension StepRecord {
    init(row: Row) {
        self.init(at: row["at"], host: row["host"], service: row["service"], kind: row["kind"],
                  message: row["message"], seconds: row["seconds"], ok: row["ok"])
    }
}

