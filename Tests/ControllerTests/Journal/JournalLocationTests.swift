import Foundation
import Testing
@testable import Controller

@Suite("Journal location")
struct JournalLocationTests {
    static let url = "postgresql://ops:pl4nted-pass@db:5432/jf"

    @Test("--journal wins over JOBFLEET_JOURNAL, which wins over the manifest's journal:, which wins over the default",
          arguments: [
            ("/opt/option.sqlite", "/env.sqlite", "/manifest.sqlite", JournalLocation.Source.option),
            (nil, "/env.sqlite", "/manifest.sqlite", .environment),
            ("", "/env.sqlite", "/manifest.sqlite", .environment),
            (nil, nil, "/manifest.sqlite", .manifest),
            (nil, "", "/manifest.sqlite", .manifest),
            (nil, nil, nil, .standard),
          ] as [(String?, String?, String?, JournalLocation.Source)])
    func precedence(option: String?, environment: String?, manifest: String?, source: JournalLocation.Source) throws {
        let env = environment.map { ["JOBFLEET_JOURNAL": $0] } ?? [:]
        let location = try JournalLocation.resolve(option: option, manifest: manifest, environment: env)
        #expect(location.source == source)
        let expected: String = switch source {
        case .option: "/opt/option.sqlite"
        case .environment: "/env.sqlite"
        case .manifest: "/manifest.sqlite"
        case .standard: SQLiteJournal.standardPath
        }
        #expect(location.store == .sqlite(path: expected))
    }

    @Test("a postgresql:// URL from any source selects PostgreSQL; its description hides the password")
    func postgres() throws {
        let fromManifest = try JournalLocation.resolve(option: nil, manifest: Self.url, environment: [:])
        guard case .postgres(let url) = fromManifest.store else { Issue.record("not PostgreSQL"); return }
        #expect(url.host == "db" && fromManifest.isShared)
        #expect(fromManifest.description == "postgresql://ops:******@db:5432/jf?sslmode=prefer")
        let fromEnv = try JournalLocation.resolve(option: nil, manifest: "/m.sqlite", environment: ["JOBFLEET_JOURNAL": Self.url])
        #expect(fromEnv.isShared && fromEnv.source == .environment)
        let fromOption = try JournalLocation.resolve(option: "/o.sqlite", manifest: Self.url, environment: ["JOBFLEET_JOURNAL": Self.url])
        #expect(fromOption.store == .sqlite(path: "/o.sqlite"))
    }

    @Test("a bad URL names where it came from; another scheme is refused rather than taken for a file")
    func refused() {
        do {
            _ = try JournalLocation.resolve(option: nil, manifest: nil,
                                            environment: ["JOBFLEET_JOURNAL": "postgresql://u:pl4nted-pass@db/d?sslmode=nope"])
            Issue.record("accepted")
        } catch {
            #expect(error.message.hasPrefix("journal URL from JOBFLEET_JOURNAL: sslmode must be"), "\(error.message)")
            #expect(!error.message.contains("pl4nted-pass"))
        }
        #expect(throws: PostgresURLError.self) { try JournalLocation.resolve(option: "mysql://db/x", manifest: nil, environment: [:]) }
    }

    @Test("the manifest's journal: is a URL checked at load (problems without the password) or a file beside the manifest")
    func manifest() throws {
        let base = """
            name: prod
            hosts:
              - { name: h1, address: 10.0.0.1 }
            services: {}

            """
        let withFile = try FleetManifest.parse(yaml: base + "journal: state/journal.sqlite\n", path: "/etc/jobfleet/fleet.yaml")
        #expect(withFile.journal == "/etc/jobfleet/state/journal.sqlite")
        let withURL = try FleetManifest.parse(yaml: base + "journal: \(Self.url)\n", path: "/etc/jobfleet/fleet.yaml")
        #expect(withURL.journal == Self.url)
        do {
            _ = try FleetManifest.parse(yaml: base + "journal: postgresql://u:pl4nted-pass@db:0/d\n", path: "/etc/jobfleet/fleet.yaml")
            Issue.record("accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("journal") && text.contains("port must be"), "\(text)")
            #expect(!text.contains("pl4nted-pass"))
        }
    }
}
