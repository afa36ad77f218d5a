import Foundation
import PostgresNIO
import Shared

/// The shared journal's tables, created and migrated by jobfleet itself. Every table is named
/// `jobfleet_…`, so the database may hold other things. `jobfleet_schema` lists the versions
/// applied; a database whose schema is newer than this jobfleet knows is refused, never
/// written to.
extension PostgresJournal {
    /// The schema versions, in order; each runs once, in one transaction with its row in
    /// `jobfleet_schema`. Append only: a version, once released, is never edited.
    static let migrations: [(version: Int, statements: [String])] = [
        (1, [
            """
            CREATE TABLE jobfleet_deployment (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                fleet text NOT NULL, manifest text NOT NULL, command text NOT NULL, arguments text NOT NULL,
                operator text NOT NULL, run text, started_at timestamptz NOT NULL, finished_at timestamptz,
                result text NOT NULL, summary text NOT NULL DEFAULT '', version text,
                bytes_placed bigint, bytes_sent bigint)
            """,
            "CREATE INDEX jobfleet_deployment_fleet ON jobfleet_deployment (fleet, id)",
            """
            CREATE TABLE jobfleet_step (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                deployment_id bigint NOT NULL REFERENCES jobfleet_deployment (id) ON DELETE CASCADE,
                at timestamptz NOT NULL, host text, service text, kind text NOT NULL, message text NOT NULL,
                seconds double precision, ok boolean NOT NULL)
            """,
            "CREATE INDEX jobfleet_step_deployment ON jobfleet_step (deployment_id, id)",
            """
            CREATE TABLE jobfleet_instance_release (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                deployment_id bigint NOT NULL REFERENCES jobfleet_deployment (id) ON DELETE CASCADE,
                host text NOT NULL, service text NOT NULL, release text NOT NULL, revision text, at timestamptz NOT NULL)
            """,
            "CREATE INDEX jobfleet_instance_release_instance ON jobfleet_instance_release (host, service, id)",
            """
            CREATE TABLE jobfleet_lease (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                fleet text NOT NULL, host text NOT NULL, operator text NOT NULL, command text NOT NULL,
                run text NOT NULL, token bigint NOT NULL, acquired_at timestamptz NOT NULL,
                released_at timestamptz, note text)
            """,
            "CREATE INDEX jobfleet_lease_fleet ON jobfleet_lease (fleet, acquired_at)",
        ]),
    ]

    /// The newest schema this jobfleet knows.
    static var schemaVersion: Int { migrations.last?.version ?? 0 }

    /// The advisory lock migrations hold: "jobfleet" in ASCII. Two controllers opening a new
    /// or older database at once take turns; the second finds the work done.
    static let migrationLock: Int64 = 0x6a6f_6266_6c65_6574

    /// Brings the schema to `schemaVersion` in one transaction under the advisory lock, or
    /// throws `JournalSchemaTooNew` having changed nothing.
    func migrate() async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS jobfleet_schema (
                    version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL)
                """, logger: logger)
            var current = 0
            for try await version in try await connection.query("SELECT coalesce(max(version), 0) FROM jobfleet_schema",
                                                                logger: logger).decode(Int.self) {
                current = version
            }
            if current > Self.schemaVersion {
                throw JournalSchemaTooNew(journal: url.label, found: current, known: Self.schemaVersion)
            }
            for migration in Self.migrations where migration.version > current {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("""
                    INSERT INTO jobfleet_schema (version, applied_by) VALUES (\(migration.version), \("jobfleet \(JobFleetVersion.current)"))
                    """, logger: logger)
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}

/// The shared journal's schema is newer than this jobfleet: a later jobfleet migrated it.
public struct JournalSchemaTooNew: Error, CustomStringConvertible {
    /// `user@host:port/database`.
    public var journal: String
    public var found: Int
    public var known: Int
    public var description: String {
        "journal \(journal): its schema is version \(found), newer than this jobfleet (\(JobFleetVersion.current)) knows, "
            + "which is \(known); nothing was written. Upgrade jobfleet to the version your team uses"
    }
}
