import Foundation
import Shared
import Testing
import TestSupport
@testable import Controller

/// The PostgreSQL journal against a real server: what it stores, its schema's versions and
/// locks, and what it says when it cannot be used.
@Suite("PostgreSQL journal store", .serialized, .enabled(if: PostgresServer.available), .postgres("pg-store"))
struct PostgresJournalStoreTests {
    let server: PostgresServer

    init() throws { server = try PostgresScope.server("pg-store") }

    /// The journal of `database`, reached through the Unix socket with the password from PGPASSWORD.
    func open(_ database: String, run: ControllerRun? = nil, mask: SecretMask = .urlsOnly) async throws -> PostgresJournal {
        let url = try PostgresURL(server.socketURL(database))
        return try await PostgresJournal.open(url, environment: ["PGPASSWORD": server.password, "HOME": server.dir], mask: mask,
                                              run: run ?? .current, warn: { Issue.record("journal warning: \($0)") })
    }

    @Test("entries, steps, releases, versions and leases round-trip; secrets are stored hidden")
    func roundTrip() async throws {
        let journal = try await open(try server.createDatabase(), mask: SecretMask(env: ["DB_PASSWORD": "pl4nted-secret"]))
        let first = try await journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: ["--yes"], version: "3.12.3")
        journal.step(first, host: "h1", service: "job-config", kind: "healthy", message: "healthy after 3.1s", seconds: 3.1, ok: true)
        journal.step(first, host: "h2", service: "job-manage", kind: "failed", message: "exited with pl4nted-secret", seconds: nil, ok: false)
        journal.release(first, host: "h1", service: "job-config", release: "aaa", revision: "r1")
        await journal.finish(first, result: "failed", summary: "1 instance failed")
        let second = try await journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [], version: nil)
        journal.release(second, host: "h1", service: "job-config", release: "bbb", revision: nil)
        await journal.finish(second, result: "succeeded", summary: "1 restarted", bytes: (placed: 734_003_200, sent: 2_202_009))
        let taken = Date(timeIntervalSince1970: 1_800_000_000.25)
        let owner = "alice@bastion jobfleet deploy prod pid 42 run 0123456789abcdef0123456789abcdef@1a2b3c4d"
        journal.lease(.taken(host: "h1", lease: LeaseInfo(owner: owner, token: 9, acquiredAt: taken, expiresAt: taken + 120)), fleet: "prod")

        let records = try await journal.history(fleet: "prod", limit: 20)
        #expect(records.map(\.id) == [second, first])
        #expect(records[1].result == "failed" && records[1].steps == 2 && records[1].failedSteps == 1 && records[1].version == "3.12.3")
        #expect(records[1].seconds != nil)
        #expect(records[0].bytesPlaced == 734_003_200 && records[0].bytesSent == 2_202_009)
        #expect(records[1].bytesPlaced == nil && records[1].bytesSent == nil, "an entry that uploaded nothing has no bytes")
        let steps = try await journal.steps(of: first)
        #expect(steps.map(\.kind) == ["healthy", "failed"] && steps[0].seconds == 3.1)
        #expect(steps[1].message == "exited with ******")
        #expect(try await journal.releases(fleet: "prod", host: "h1", service: "job-config") == ["bbb", "aaa"])
        #expect(try await journal.version(fleet: "prod", host: "h1", service: "job-config", release: "aaa") == "3.12.3")
        #expect(try await journal.version(fleet: "prod", host: "h1", service: "job-config", release: "bbb") == nil)
        let leases = try await journal.leases(fleet: "prod", limit: 10)
        #expect(leases == [LeaseRecord(fleet: "prod", host: "h1", operator: "alice@bastion", command: "deploy",
                                       run: "run 0123456789abcdef0123456789abcdef@1a2b3c4d", token: 9, acquiredAt: taken,
                                       releasedAt: nil, note: nil)])
        await journal.close()
    }

    @Test("an entry another run has open stays running; this run's own is closed as interrupted")
    func interrupted() async throws {
        let database = try server.createDatabase()
        let dir = "\(server.dir)/runs-\(UUID().uuidString.prefix(8))"
        let mine = ControllerRun(directory: dir), theirs = ControllerRun(directory: dir)
        #expect(theirs.register())
        let other = try await open(database, run: theirs)
        let theirsEntry = try await other.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [], version: nil)
        await other.close()
        let journal = try await open(database, run: mine)
        let dead = try await journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [], version: nil)
        _ = try await journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [], version: nil)
        let results = Dictionary(uniqueKeysWithValues: try await journal.history(fleet: "prod", limit: 10).map { ($0.id, $0.result) })
        #expect(results[theirsEntry] == "running")
        #expect(results[dead] == "interrupted")
        await journal.close()
    }

    @Test("controllers opening a new database at once create its schema once, under the advisory lock")
    func concurrentMigrations() async throws {
        let database = try server.createDatabase()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let journal = try await open(database)
                    _ = try await journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [], version: nil)
                    await journal.close()
                }
            }
            try await group.waitForAll()
        }
        #expect(try server.psql("SELECT count(*), max(version) FROM jobfleet_schema", database: database) == "1|\(PostgresJournal.schemaVersion)")
        #expect(try server.psql("SELECT count(*) FROM jobfleet_deployment", database: database) == "6")
    }

    @Test("a schema newer than this jobfleet knows is refused, naming the database and both versions, and left untouched")
    func newerSchema() async throws {
        let database = try server.createDatabase()
        await (try await open(database)).close()
        try server.psql("INSERT INTO jobfleet_schema (version, applied_by) VALUES (99, 'jobfleet 9.0.0')", database: database)
        do {
            _ = try await open(database)
            Issue.record("a newer schema was accepted")
        } catch let error as JournalSchemaTooNew {
            let text = "\(error)"
            #expect(text.hasPrefix("journal \(PostgresServer.user)@\(server.dir)/.s.PGSQL.\(server.port)/\(database): its schema is version 99"), "\(text)")
            #expect(text.contains("which is \(PostgresJournal.schemaVersion)") && text.contains("Upgrade jobfleet"), "\(text)")
        }
        #expect(try server.psql("SELECT count(*) FROM jobfleet_schema", database: database) == "2")
        #expect(try server.psql("SELECT count(*) FROM jobfleet_deployment", database: database) == "0")
    }

    @Test("a wrong password, a missing database and a stopped server are clear errors naming the server, without the password")
    func unavailable() async throws {
        let database = try server.createDatabase()
        let planted = "wr0ng-PLANTED-pass"
        let wrong = try PostgresURL(server.url(database, password: planted))
        await #expect(throws: JournalUnavailable.self) {
            do {
                _ = try await PostgresJournal.open(wrong, environment: [:], mask: .urlsOnly, warn: { _ in })
            } catch {
                let text = "\(error)"
                #expect(text.hasPrefix("journal \(PostgresServer.user)@127.0.0.1:\(server.port)/\(database): the server refused the password"), "\(text)")
                #expect(text.contains("password from the URL") && !text.contains(planted), "\(text)")
                throw error
            }
        }
        let missing = try PostgresURL(server.url("no_such_db"))
        await #expect(throws: JournalUnavailable.self) {
            do {
                _ = try await PostgresJournal.open(missing, environment: ["PGPASSWORD": server.password], mask: .urlsOnly, warn: { _ in })
            } catch {
                #expect("\(error)".contains("database no_such_db does not exist; create it"), "\(error)")
                throw error
            }
        }
        let stopped = try PostgresServer(base: (server.dir as NSString).deletingLastPathComponent)
        defer { stopped.destroy() }
        try stopped.stop()
        let gone = try PostgresURL(stopped.url("postgres", password: planted))
        await #expect(throws: JournalUnavailable.self) {
            do {
                _ = try await PostgresJournal.open(gone, environment: [:], mask: .urlsOnly, warn: { _ in })
            } catch {
                let text = "\(error)"
                #expect(text.hasPrefix("journal \(PostgresServer.user)@127.0.0.1:\(stopped.port)/postgres: cannot connect to 127.0.0.1:\(stopped.port): connection refused"), "\(text)")
                #expect(text.contains("check that PostgreSQL runs there") && !text.contains(planted), "\(text)")
                throw error
            }
        }
    }

    @Test("sslmode: prefer falls back to plain TCP on a server without TLS; require refuses it, saying what to change")
    func sslModes() async throws {
        let database = try server.createDatabase()
        let plain = server.url(database, password: server.password).replacingOccurrences(of: "sslmode=disable", with: "sslmode=prefer")
        await (try await PostgresJournal.open(try PostgresURL(plain), environment: [:], mask: .urlsOnly, warn: { _ in })).close()
        let strict = try PostgresURL(plain.replacingOccurrences(of: "sslmode=prefer", with: "sslmode=require"))
        await #expect(throws: JournalUnavailable.self) {
            do {
                _ = try await PostgresJournal.open(strict, environment: [:], mask: .urlsOnly, warn: { _ in })
            } catch {
                #expect("\(error)".contains("the server does not offer TLS, and sslmode=require requires it"), "\(error)")
                throw error
            }
        }
    }
}
