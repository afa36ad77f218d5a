import ArgumentParser
import Foundation

/// `jobfleet history`: past deployments of this fleet from the journal.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List past deployments, rollbacks and restarts of this fleet; --id shows one's steps.")

    @OptionGroup var fleet: FleetOptions
    @Option(help: "Show the steps of this entry.")
    var id: Int64?
    @Option(name: .shortAndLong, help: "Entries to list.")
    var limit = 20
    @Flag(help: "JSON lines instead of a table.")
    var json = false

    func run() async throws {
        let manifest = try fleet.loadManifest().manifest
        let journal = try Journal(path: fleet.journal ?? Journal.defaultPath)
        let encoder = Console.jsonEncoder()
        if let id {
            let steps = try journal.steps(of: id)
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
        let records = try journal.history(fleet: manifest.name, limit: limit)
        if json {
            for record in records { Console.jsonLine(try encoder.encode(record)) }
            return
        }
        Console.line(records.isEmpty ? "no history for fleet \(manifest.name) in \(journal.path)" : Self.table(records))
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
