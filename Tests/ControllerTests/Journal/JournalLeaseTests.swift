import Foundation
import Shared
import Testing
@testable import Controller

@Suite("Journal: leases and runs")
struct JournalLeaseTests {
    func journal(run: ControllerRun) throws -> SQLiteJournal {
        try SQLiteJournal(path: FileManager.default.temporaryDirectory
            .appendingPathComponent("jobfleet-journal-\(UUID().uuidString)/journal.sqlite").path, run: run)
    }

    static func runs() -> (String, ControllerRun, ControllerRun) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-runs-\(UUID().uuidString)").path
        return (dir, ControllerRun(directory: dir), ControllerRun(directory: dir))
    }

    @Test("a lease taken, given back and taken over is recorded with who, which run and when")
    func leases() throws {
        let (dir, run, other) = Self.runs()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try journal(run: run)
        let owner = "alice@bastion jobfleet deploy prod pid 42 \(run.label)"
        let taken = Date(timeIntervalSince1970: 1_800_000_000)
        journal.lease(.taken(host: "h1", lease: LeaseInfo(owner: owner, token: 7, acquiredAt: taken, expiresAt: taken + 120)), fleet: "prod")
        journal.lease(.taken(host: "h2", lease: LeaseInfo(owner: owner, token: 3, acquiredAt: taken, expiresAt: taken + 120)), fleet: "prod")
        journal.lease(.released(host: "h1", token: 7, at: taken + 30), fleet: "prod")
        let taker = "bob@ci jobfleet restart prod pid 9 \(other.label)"
        journal.lease(.takenOver(host: "h2", holder: LeaseInfo(owner: owner, token: 3, acquiredAt: taken, expiresAt: taken + 120),
                                 by: taker, at: taken + 200), fleet: "prod")
        let records = try journal.leases(fleet: "prod").sorted { $0.host < $1.host }
        #expect(records.count == 2)
        #expect(records[0] == LeaseRecord(fleet: "prod", host: "h1", operator: "alice@bastion", command: "deploy", run: run.label,
                                          token: 7, acquiredAt: taken, releasedAt: taken + 30, note: "released"))
        #expect(records[1].releasedAt == taken + 200)
        #expect(records[1].note == "taken over by bob@ci (\(other.label))")
        #expect(try journal.leases(fleet: "other").isEmpty)
        let table = HistoryCommand.leaseTable(records)
        #expect(table.hasPrefix("HOST  TAKEN"))
        #expect(table.contains("alice@bastion") && table.contains(run.label))
    }

    @Test("an entry another run has open stays running; this run's own, and an ended run's, are closed as interrupted")
    func interruptedOnlyWhenEnded() throws {
        let (dir, run, other) = Self.runs()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-journal-\(UUID().uuidString)/journal.sqlite").path
        #expect(other.register())
        let theirs = try SQLiteJournal(path: path, run: other).begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [])
        let mine = try SQLiteJournal(path: path, run: run)
        let first = try mine.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [])
        _ = try mine.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [])
        var results = Dictionary(uniqueKeysWithValues: try mine.history(fleet: "prod").map { ($0.id, $0.result) })
        #expect(results[theirs] == "running", "another live run's entry must not be closed")
        #expect(results[first] == "interrupted")
        // A run that registered a lock file here and no longer holds it has ended.
        let ended = ControllerRun(directory: dir)
        #expect(ended.register())
        let stale = try SQLiteJournal(path: path, run: ended).begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [])
        Self.forget(ended)
        _ = try mine.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: [])
        results = Dictionary(uniqueKeysWithValues: try mine.history(fleet: "prod").map { ($0.id, $0.result) })
        #expect(results[stale] == "interrupted")
        #expect(results[theirs] == "running")
    }

    /// Lets go of `run`'s lock as the kernel does when its process dies.
    static func forget(_ run: ControllerRun) {
        let path = "\(run.directory)/\(run.token).lock"
        let fd = open(path, O_RDWR)
        // Another descriptor of the same file cannot take the lock while the run holds it; the
        // run's own descriptor is private, so the file is replaced by an unlocked copy instead.
        if fd >= 0 { close(fd) }
        unlink(path)
        close(open(path, O_RDWR | O_CREAT, 0o600))
    }

    @Test("history --json keeps its shape: the same keys as before leases and runs were recorded")
    func historyShape() throws {
        let (dir, run, _) = Self.runs()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try journal(run: run)
        let id = try journal.begin(fleet: "prod", manifest: "/f.yaml", command: "deploy", arguments: ["--yes"], version: "3.12.3")
        journal.step(id, host: "h1", service: "job-config", kind: "healthy", message: "ok", seconds: 1)
        journal.finish(id, result: "succeeded", summary: "1 started")
        let record = try #require(try journal.history(fleet: "prod").first)
        let object = try #require(try JSONSerialization.jsonObject(with: Console.jsonEncoder().encode(record)) as? [String: Any])
        #expect(Set(object.keys) == ["id", "fleet", "command", "arguments", "operator", "startedAt", "finishedAt", "result",
                                     "summary", "version", "steps", "failedSteps"])
    }
}
