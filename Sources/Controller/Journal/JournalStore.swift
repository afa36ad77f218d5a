import Foundation
import Shared

/// The journal of deployments, whichever database holds it: what `deploy`, `rollback`,
/// `history` and the lease holder need. `SQLiteJournal` keeps it in a file on this machine;
/// `PostgresJournal` in a database a team shares.
///
/// Recording a step, a release or a lease never waits and never fails the command: the store
/// keeps the order and reports a write it could not make as a warning. `finish` and `close`
/// wait until everything recorded before them is written.
public protocol JournalStore: AnyObject, Sendable {
    /// The journal as messages name it (a file path, or a URL without its password).
    var location: String { get }

    /// Starts an entry; see `SQLiteJournal.begin` for which older entries it closes.
    func begin(fleet: String, manifest: String, command: String, arguments: [String], version: String?) async throws -> Int64
    /// Records one step of `deployment`.
    func step(_ deployment: Int64, host: String?, service: String?, kind: String, message: String, seconds: Double?, ok: Bool)
    /// Records the release an instance runs after `deployment`.
    func release(_ deployment: Int64, host: String, service: String, release: String, revision: String?)
    /// Closes the entry with its result and a one-line summary, and the bytes it placed on
    /// hosts and sent to them when it uploaded.
    func finish(_ deployment: Int64, result: String, summary: String, bytes: (placed: UInt64, sent: UInt64)?) async

    /// The most recent entries of `fleet`, newest first.
    func history(fleet: String, limit: Int) async throws -> [DeploymentRecord]
    /// The steps of one entry, in order.
    func steps(of deployment: Int64) async throws -> [StepRecord]
    /// Releases `service` ran on `host`, newest first, without repeats.
    func releases(fleet: String, host: String, service: String) async throws -> [String]
    /// The release version recorded with the latest entry that put `service` on `host` on `release`.
    func version(fleet: String, host: String, service: String, release: String) async throws -> String?

    /// Records a lease as it is taken, given back or taken over.
    func lease(_ event: LeaseEvent, fleet: String)
    /// The leases taken on `fleet`'s hosts, newest first.
    func leases(fleet: String, limit: Int) async throws -> [LeaseRecord]

    /// Writes what is still queued and lets go of the database.
    func close() async
}

extension JournalStore {
    /// Closes an entry that uploaded nothing.
    public func finish(_ deployment: Int64, result: String, summary: String) async {
        await finish(deployment, result: result, summary: summary, bytes: nil)
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
    public var bytesPlaced: Int64? = nil
    public var bytesSent: Int64? = nil

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
}

/// One deployment lease as the journal knows it: who took it on which host, when, and when it
/// was given back (nil while held, or when it lapsed because its holder died or lost the host).
public struct LeaseRecord: Sendable, Codable, Equatable {
    public var fleet: String
    public var host: String
    /// `user@host` of the operator.
    public var `operator`: String
    /// The command that took it (`deploy`, `restart`, …).
    public var command: String
    /// The run (`run <token>@<boot>`), as in the lease owner.
    public var run: String
    /// The agent's fencing token.
    public var token: Int64
    /// When the agent granted it (the agent's clock, as `status` shows it).
    public var acquiredAt: Date
    public var releasedAt: Date?
    /// `released`, or `taken over by …`; nil while held or unknown.
    public var note: String?

    /// The record of `lease`, taken by the owner it names.
    init(fleet: String, host: String, lease: LeaseInfo) {
        let owner = LeaseOwner(lease.owner)
        self.init(fleet: fleet, host: host, operator: owner.operator, command: owner.command, run: owner.run,
                  token: Int64(clamping: lease.token), acquiredAt: lease.acquiredAt, releasedAt: nil, note: nil)
    }

    init(fleet: String, host: String, operator: String, command: String, run: String, token: Int64,
         acquiredAt: Date, releasedAt: Date?, note: String?) {
        self.fleet = fleet
        self.host = host
        self.operator = `operator`
        self.command = command
        self.run = run
        self.token = token
        self.acquiredAt = acquiredAt
        self.releasedAt = releasedAt
        self.note = note
    }
}

/// The parts of a lease owner jobfleet writes (`alice@bastion jobfleet deploy prod pid 42 run
/// <token>@<boot>`); an owner written otherwise keeps its first word as the operator.
struct LeaseOwner {
    var `operator`: String
    var command: String
    var run: String

    init(_ owner: String) {
        let words = owner.split(separator: " ").map(String.init)
        `operator` = words.first ?? owner
        command = words.count > 2 && words[1] == "jobfleet" ? words[2] : ""
        if let index = words.lastIndex(of: "run"), index + 1 < words.count {
            run = "run \(words[index + 1])"
        } else {
            run = ""
        }
    }
}
