import ArgumentParser
import Foundation

/// `jobfleet history`: past deployments of this fleet from the journal.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List past deployments, rollbacks and restarts of this fleet; --id shows one's steps, --leases the leases taken.",
        discussion: """
            With a journal shared on PostgreSQL (--journal, JOBFLEET_JOURNAL or the manifest's \
            journal:), every operator's entries and leases are listed.
            """)

    @OptionGroup var fleet: FleetOptions
    @Option(help: "Show the steps of this entry.")
    var id: Int64?
    @Option(name: .shortAndLong, help: "Entries to list.")
    var limit = 20
    @Flag(help: "List the deployment leases taken on the fleet's hosts: who, which run, when taken and given back.")
    var leases = false
    @Flag(help: "JSON lines instead of a table.")
    var json = false

    func validate() throws {
        if leases && id != nil { throw ValidationError("--leases lists the fleet's leases; leave out --id") }
    }

    func run() async throws {
        let manifest = try fleet.loadManifest().manifest
        try await fleet.withJournal(manifest) { journal in
            guard let journal else { throw CommandFailure(message: "the journal cannot be opened; there is no history to show") }
            try await show(journal, fleet: manifest.name)
        }
    }

    private func show(_ journal: any JournalStore, fleet name: String) async throws {
        let encoder = Console.jsonEncoder()
        if leases {
            let records = try await journal.leases(fleet: name, limit: limit)
            if json {
                for record in records { Console.jsonLine(try encoder.encode(record)) }
                return
            }
            Console.line(records.isEmpty ? "no leases recorded for fleet \(name) in \(journal.location)" : Self.leaseTable(records))
            return
        }
        if let id {
            let steps = try await journal.steps(of: id)
            if json {
                for step in steps { Console.jsonLine(try encoder.encode(step)) }
                return
            }
            var rows = [["TIME", "HOST", "SERVICE", "STEP", "OK", "MESSAGE"]]
            for step in steps {
                rows.append([Format.rfc3339(step.at), step.host ?? "-", step.service ?? "-", step.kind,
                             step.ok ? "yes" : "NO", step.message])
            }
            Console.line(steps.isEmpty ? "no steps recorded for entry \(id)" : Format.table(rows))
            return
        }
        let records = try await journal.history(fleet: name, limit: limit)
        if json {
            for record in records { Console.jsonLine(try encoder.encode(record)) }
            return
        }
        Console.line(records.isEmpty ? "no history for fleet \(name) in \(journal.location)" : Self.table(records))
    }

    /// The leases as a table, newest first; RELEASED is `-` for one held now or left to lapse.
    static func leaseTable(_ records: [LeaseRecord]) -> String {
        var rows = [["HOST", "TAKEN", "RELEASED", "OPERATOR", "COMMAND", "RUN", "TOKEN", "NOTE"]]
        for record in records {
            rows.append([record.host, Format.rfc3339(record.acquiredAt), record.releasedAt.map(Format.rfc3339) ?? "-",
                         record.operator, record.command.isEmpty ? "-" : record.command, record.run.isEmpty ? "-" : record.run,
                         String(record.token), record.note ?? "-"])
        }
        return Format.table(rows)
    }

    /// The entries as a table, one row each.
    static func table(_ records: [DeploymentRecord]) -> String {
        var rows = [["ID", "STARTED", "COMMAND", "VERSION", "RESULT", "DURATION", "OPERATOR", "SUMMARY"]]
        for record in records {
            rows.append([String(record.id), Format.rfc3339(record.startedAt), record.command, record.version ?? "-",
                         record.result, record.seconds.map(Format.seconds) ?? "-", record.operator, record.summary])
        }
        return Format.table(rows)
    }
}
