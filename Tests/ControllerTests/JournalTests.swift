import Foundation
import GRDB
import Testing
@testable import Controller

@Suite("Journal")
struct JournalTests {
    func temporaryJournal() throws -> SQLiteJournal {
        try SQLiteJournal(path: FileManager.default.temporaryDirectory
            .appendingPathComponent("jobfleet-journal-\(UUID().uuidString)/journal.sqlite").path)
    }

    @Test("entries keep their steps, results and durations, newest first")
    func history() throws {
        let journal = try temporaryJournal()
        let first = try journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: ["--yes"])
        journal.step(first, host: "h1", service: "job-config", kind: "healthy", message: "healthy after 3.1s", seconds: 3.1)
        journal.step(first, host: "h2", service: "job-manage", kind: "failed", message: "exited", ok: false)
        journal.finish(first, result: "failed", summary: "1 instance failed")
        let second = try journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [])
        journal.finish(second, result: "succeeded", summary: "nothing to do")
        _ = try journal.begin(fleet: "other", manifest: "/g.yaml", command: "deploy", arguments: [])

        let records = try journal.history(fleet: "prod")
        #expect(records.map(\.id) == [second, first])
        #expect(records[1].result == "failed" && records[1].steps == 2 && records[1].failedSteps == 1)
        #expect(records[1].seconds != nil)
        let steps = try journal.steps(of: first)
        #expect(steps.map(\.kind) == ["healthy", "failed"])
        #expect(steps[0].seconds == 3.1)
    }

    @Test("messages, summaries and arguments are stored with their secrets hidden")
    func masksSecrets() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("jobfleet-journal-\(UUID().uuidString)/journal.sqlite").path
        let journal = try SQLiteJournal(path: path, mask: SecretMask(env: ["DB_PASSWORD": "pl4nted-secret"]))
        let entry = try journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy",
                                      arguments: ["--note", "pl4nted-secret"])
        journal.step(entry, host: "h1", service: "job-manage", kind: "failed",
                     message: "log: connect mongodb://job:m0ngo-pass@db/x failed with pl4nted-secret", ok: false)
        journal.finish(entry, result: "failed", summary: "pl4nted-secret")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.range(of: Data("pl4nted-secret".utf8)) == nil)
        #expect(bytes.range(of: Data("m0ngo-pass".utf8)) == nil)
        #expect(try journal.steps(of: entry).first?.message == "log: connect mongodb://job:******@db/x failed with ******")
    }

    @Test("an entry left running by a dead controller is marked interrupted by the next one")
    func interrupted() throws {
        let journal = try temporaryJournal()
        let dead = try journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [])
        _ = try journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [])
        #expect(try journal.history(fleet: "prod").first { $0.id == dead }?.result == "interrupted")
    }

    @Test("a bare file name is a journal in the current directory")
    func bareFileName() throws {
        let name = "jobfleet-journal-\(UUID().uuidString).sqlite"
        let inCurrentDirectory = FileManager.default.currentDirectoryPath + "/" + name
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: inCurrentDirectory + suffix) }
        }
        let journal = try SQLiteJournal(path: name)
        let id = try journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [])
        journal.finish(id, result: "succeeded", summary: "nothing to do")
        #expect(try journal.history(fleet: "prod").map(\.id) == [id])
        #expect(FileManager.default.fileExists(atPath: inCurrentDirectory))
    }

    @Test("releases per instance, newest first, for rollback")
    func releases() throws {
        let journal = try temporaryJournal()
        for release in ["aaa", "bbb", "bbb", "ccc"] {
            let id = try journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [])
            journal.release(id, host: "h1", service: "job-manage", release: release, revision: nil)
        }
        #expect(try journal.releases(fleet: "prod", host: "h1", service: "job-manage") == ["ccc", "bbb", "aaa"])
    }

    @Test("a deploy records its release version; history shows it, '-' for entries without one")
    func version() throws {
        let journal = try temporaryJournal()
        let restart = try journal.begin(fleet: "prod", manifest: "/f.yaml", command: "restart", arguments: [])
        journal.finish(restart, result: "succeeded", summary: "1 restarted")
        let deploy = try journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [], version: "3.12.3")
        journal.release(deploy, host: "h1", service: "job-manage", release: "aaa", revision: nil)
        journal.finish(deploy, result: "succeeded", summary: "1 started")
        let records = try journal.history(fleet: "prod")
        #expect(records.map(\.version) == ["3.12.3", nil])
        let table = HistoryCommand.table(records).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(table[0].prefix(4) == ["ID", "STARTED", "COMMAND", "VERSION"])
        #expect(table[1][3] == "3.12.3" && table[2][3] == "-")
        #expect(String(decoding: try Console.jsonEncoder().encode(records[0]), as: UTF8.self).contains(#""version":"3.12.3""#))
        #expect(try journal.version(fleet: "prod", host: "h1", service: "job-manage", release: "aaa") == "3.12.3")
        #expect(try journal.version(fleet: "prod", host: "h1", service: "job-manage", release: "bbb") == nil)
    }

    @Test("a journal written before versions were recorded opens, keeps its entries, and records versions from then on")
    func olderJournal() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("jobfleet-journal-\(UUID().uuidString)/journal.sqlite").path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let old = try DatabaseQueue(path: path)
            try SQLiteJournal.migrator.migrate(old, upTo: "v1")
            try old.write { db in
                try db.execute(sql: """
                    INSERT INTO deployment (fleet, manifest, command, arguments, operator, startedAt, result)
                    VALUES ('prod', '/f.yaml', 'deploy', '', 'ops', ?, 'succeeded')
                    """, arguments: [Date()])
            }
        }
        let journal = try SQLiteJournal(path: path)
        let entry = try journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [], version: "3.12.3")
        let records = try journal.history(fleet: "prod")
        #expect(records.count == 2)
        #expect(records.map(\.version) == ["3.12.3", nil])
        #expect(records[0].id == entry)
    }
}
