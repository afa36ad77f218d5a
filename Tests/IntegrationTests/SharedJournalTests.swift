import Foundation
import Shared
import Testing
import TestSupport
import Controller

/// Two operators, each with a HOME of their own, deploy one sandbox fleet and share one journal
/// on a real PostgreSQL server: one `history` shows both, with the leases they took.
@Suite("A journal shared on PostgreSQL", .serialized,
       .enabled(if: Prerequisites.runIntegration && PostgresServer.available),
       .postgres("pg-fleet"), .sandbox("pgjournal", network: "127.0.14", hosts: 2))
struct SharedJournalTests {
    let fleet: ControllerFleet
    let server: PostgresServer
    let database: String

    static let first: [(String, [String])] = [("job-config", ["h1"]), ("job-manage", ["h2"])]
    static let second: [(String, [String])] = first + [("job-logsvr", ["h2"])]

    init() throws {
        fleet = try ControllerFleet(attach: "pgjournal", network: "127.0.14")
        server = try PostgresScope.server("pg-fleet")
        database = "fleet_journal"
        if try server.psql("SELECT count(*) FROM pg_database WHERE datname = '\(database)'", database: "postgres") == "0" {
            try server.createDatabase(database)
        }
    }

    /// An operator on a machine of their own: their own HOME (state, run locks, caches) and
    /// name. alice keeps the password in the URL, bob in PGPASSWORD.
    func operatorCLI(_ name: String, journal: String? = nil, environment: [String: String] = [:]) throws -> JobFleetCLI {
        let home = "\(fleet.sandbox.dir)/home-\(name)"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let url = journal ?? (name == "alice" ? server.url(database, password: server.password) : server.url(database))
        var cli = JobFleetCLI(journal: url)
        cli.environment = ["HOME": home, "XDG_STATE_HOME": "\(home)/.local/state", "XDG_CACHE_HOME": "\(home)/.cache",
                           "USER": name, "PGPASSWORD": name == "alice" ? "" : server.password]
        for (key, value) in environment { cli.environment[key] = value }
        return cli
    }

    /// Runs `arguments` as `cli` and checks that nothing it printed holds the server's password.
    func run(_ cli: JobFleetCLI, _ arguments: [String]) throws -> CommandResult {
        let result = try cli.run(arguments)
        #expect(!result.stdout.contains(server.password) && !result.stderr.contains(server.password),
                "\(arguments.joined(separator: " ")) printed the journal's password")
        return result
    }

    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }

    @Test("two operators deploy one fleet; one history shows both deploys and every lease they took, taken and given back")
    func twoOperators() throws {
        let alice = try operatorCLI("alice"), bob = try operatorCLI("bob")
        let manifest = try fleet.manifest(Self.first, name: "fleet-pg.yaml")
        let before = try Self.jsonLines(try run(alice, ["history", "-f", manifest, "--json"]).stdout).compactMap { $0["id"] as? Int }.max() ?? 0
        let first = try run(alice, ["deploy", "-f", manifest, "--yes"])
        #expect(first.succeeded, "\(first.stdout)\(first.stderr)")
        let grown = try fleet.manifest(Self.second, name: "fleet-pg-grown.yaml")
        let second = try run(bob, ["deploy", "-f", grown, "--yes"])
        #expect(second.succeeded, "\(second.stdout)\(second.stderr)")

        // The same history from either HOME, newest first: bob's deploy, then alice's.
        let seenByAlice = try run(alice, ["history", "-f", manifest, "--json"])
        #expect(seenByAlice.succeeded, "\(seenByAlice.stderr)")
        let entries = try Self.jsonLines(seenByAlice.stdout).filter { ($0["id"] as? Int ?? 0) > before }
        #expect(entries.map { $0["command"] as? String } == ["deploy", "deploy"], "\(entries)")
        #expect(entries.map { ($0["operator"] as? String ?? "").split(separator: "@").first.map(String.init) } == ["bob", "alice"], "\(entries)")
        #expect(entries.allSatisfy { $0["result"] as? String == "succeeded" }, "\(entries)")
        #expect(try run(bob, ["history", "-f", manifest, "--json"]).stdout == seenByAlice.stdout)
        // history --json keeps its shape.
        for entry in entries {
            #expect(Set(entry.keys).isSubset(of: ["id", "fleet", "command", "arguments", "operator", "startedAt", "finishedAt",
                                                   "result", "summary", "version", "steps", "failedSteps", "bytesPlaced", "bytesSent"]),
                    "\(entry.keys)")
        }
        let steps = try Self.jsonLines(try run(alice, ["history", "-f", manifest, "--json", "--id", String(try #require(entries[0]["id"] as? Int))]).stdout)
        #expect(steps.contains { ($0["message"] as? String ?? "").hasPrefix("job-logsvr@h2: healthy") }, "\(steps)")

        // Every lease: who (user@host and run), which host, when taken and when given back.
        let leases = try Self.jsonLines(try run(bob, ["history", "-f", manifest, "--leases", "--json"]).stdout)
        for who in ["alice", "bob"] {
            let theirs = leases.filter { ($0["operator"] as? String ?? "").hasPrefix("\(who)@") && $0["command"] as? String == "deploy" }
            #expect(Set(theirs.compactMap { $0["host"] as? String }) == ["h1", "h2"], "\(who): \(leases)")
            for lease in theirs {
                #expect((lease["run"] as? String ?? "").hasPrefix("run "), "\(lease)")
                #expect(lease["acquiredAt"] is String && lease["releasedAt"] is String && lease["note"] as? String == "released", "\(lease)")
            }
        }
        let runs = Set(leases.compactMap { $0["run"] as? String })
        #expect(runs.count >= 2, "each operator's run has its own token: \(runs)")
        let table = try run(alice, ["history", "-f", manifest, "--leases"])
        #expect(table.stdout.hasPrefix("HOST  "), "\(table.stdout)")
        #expect(table.stdout.contains("alice@") && table.stdout.contains("bob@"), "\(table.stdout)")
    }

    @Test("status shows who holds a host's lease right now and since when; a deploy meanwhile is refused naming the holder")
    func leaseInStatus() throws {
        let alice = try operatorCLI("alice")
        let manifest = try fleet.manifest(Self.first, name: "fleet-pg.yaml")
        // Connecting installs the agents, should this test run first.
        _ = try run(alice, ["status", "-f", manifest])
        let h1 = fleet.sandbox.hosts[0]
        let owner = "carol@elsewhere jobfleet deploy pgjournal pid 7 run 0123456789abcdef0123456789abcdef@1a2b3c4d"
        let lease = try #require(try agentLease(on: h1, LeaseRequest(action: .acquire, owner: owner, ttlSeconds: 120)))
        defer { _ = try? agentLease(on: h1, LeaseRequest(action: .release, owner: owner, token: lease.token)) }

        let json = try Self.jsonLines(try run(alice, ["status", "-f", manifest, "--json"]).stdout)
        let h1Rows = json.filter { $0["host"] as? String == "h1" }
        #expect(!h1Rows.isEmpty && h1Rows.allSatisfy { $0["lease_holder"] as? String == owner }, "\(h1Rows)")
        #expect(h1Rows.allSatisfy { ControllerFleet.date($0["lease_since"]).map { abs($0.timeIntervalSince(lease.acquiredAt)) < 0.002 } == true })
        #expect(json.filter { $0["host"] as? String == "h2" }.allSatisfy { $0["lease_holder"] == nil })
        let text = try run(alice, ["status", "-f", manifest]).stdout
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("h1 ") && $0.contains(" \(owner)  ") }, "\(text)")
        #expect(line.contains(Format.rfc3339(lease.acquiredAt)), "\(line)")

        let refused = try run(alice, ["deploy", "-f", manifest, "--yes"])
        #expect(refused.status == 4, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("held by \(owner)"), "\(refused.stderr)")
    }

    @Test("a wrong password or a stopped server stops the command before any host is contacted, naming the server, without the password")
    func journalErrors() throws {
        let manifest = try fleet.manifest(Self.first, name: "fleet-pg.yaml")
        let planted = "wr0ng-PLANTED-pass"
        let wrong = try operatorCLI("alice", journal: server.url(database, password: planted))
        for arguments in [["history", "-f", manifest], ["deploy", "-f", manifest, "--yes"], ["restart", "-f", manifest, "job-config"]] {
            let result = try run(wrong, arguments)
            #expect(result.status == 2, "\(arguments): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("journal \(PostgresServer.user)@127.0.0.1:\(server.port)/\(database): the server refused the password"),
                    "\(result.stderr)")
            #expect(!result.stderr.contains(planted) && !result.stdout.contains(planted), "\(result.stderr)")
            #expect(result.stdout.isEmpty, "nothing planned or deployed: \(result.stdout)")
        }
        let wrongEnv = try operatorCLI("bob", environment: ["PGPASSWORD": planted])
        let fromEnv = try run(wrongEnv, ["history", "-f", manifest])
        #expect(fromEnv.status == 2 && fromEnv.stderr.contains("password from PGPASSWORD"), "\(fromEnv.stderr)")
        #expect(!fromEnv.stderr.contains(planted))

        let stopped = try PostgresServer(base: (server.dir as NSString).deletingLastPathComponent)
        defer { stopped.destroy() }
        try stopped.stop()
        let gone = try operatorCLI("alice", journal: stopped.url("postgres", password: stopped.password))
        let result = try run(gone, ["deploy", "-f", manifest, "--yes"])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("cannot connect to 127.0.0.1:\(stopped.port): connection refused; check that PostgreSQL runs there"),
                "\(result.stderr)")
        #expect(!result.stderr.contains(stopped.password) && result.stdout.isEmpty, "\(result.stdout)\(result.stderr)")
    }

    /// Sends a lease request to `host`'s agent through OpenSSH, as another controller would.
    func agentLease(on host: SandboxHost, _ lease: LeaseRequest) throws -> LeaseInfo? {
        let request = AgentRequest(id: "test-lease", .lease(lease))
        let agent = "\(host.bkHome)/.jobfleet/bin/jobfleet-agent rpc --home \(host.bkHome)"
        let result = try fleet.sandbox.ssh(host, agent, input: String(decoding: try AgentProtocol.line(request), as: UTF8.self))
        for line in result.stdout.split(separator: "\n") {
            if let response = try? AgentProtocol.makeDecoder().decode(AgentResponse.self, from: Data(line.utf8)),
               response.id == request.id {
                if case .lease(let answer) = response.body { return answer.lease }
                throw SandboxError(message: "lease refused on \(host.name): \(line)")
            }
        }
        throw SandboxError(message: "no answer from the agent on \(host.name): \(result.stdout)\(result.stderr)")
    }
}
