import Foundation
import Testing
@testable import Controller

@Suite("Journal URLs")
struct PostgresURLTests {
    static let environment = ["USER": "ops"]

    @Test("a full URL gives host, port, user, password, database and sslmode")
    func full() throws {
        let url = try PostgresURL("postgresql://alice:s3cr%40t@db.example:5433/jobfleet?sslmode=require", environment: Self.environment)
        #expect(url.host == "db.example" && url.port == 5433 && url.user == "alice" && url.password == "s3cr@t")
        #expect(url.database == "jobfleet" && url.sslMode == .require && url.socketDirectory == nil)
        #expect(url.endpoint == "db.example:5433")
        #expect(url.label == "alice@db.example:5433/jobfleet")
    }

    @Test("defaults: port 5432, sslmode prefer, the login user, a database named after the user")
    func defaults() throws {
        let url = try PostgresURL("postgres://db", environment: Self.environment)
        #expect(url.host == "db" && url.port == 5432 && url.sslMode == .prefer)
        #expect(url.user == "ops" && url.database == "ops" && url.password == nil)
        #expect(try PostgresURL("postgres://db", environment: ["USER": "ops", "PGUSER": "jf"]).user == "jf")
    }

    @Test("a Unix socket: a host that is a directory, in the authority or as ?host=, or none at all")
    func socket() throws {
        let escaped = try PostgresURL("postgresql://jf@%2Ftmp%2Fpg:5544/journal", environment: Self.environment)
        #expect(escaped.socketPath == "/tmp/pg/.s.PGSQL.5544" && escaped.host == nil)
        let query = try PostgresURL("postgresql:///journal?host=/tmp/pg&port=5544&user=jf", environment: Self.environment)
        #expect(query.socketPath == "/tmp/pg/.s.PGSQL.5544" && query.user == "jf" && query.database == "journal")
        #expect(try PostgresURL("postgresql:///journal", environment: Self.environment).socketPath == "/var/run/postgresql/.s.PGSQL.5432")
    }

    @Test("IPv6 addresses in brackets")
    func ipv6() throws {
        let url = try PostgresURL("postgresql://u@[::1]:6000/d", environment: Self.environment)
        #expect(url.host == "::1" && url.port == 6000 && url.endpoint == "[::1]:6000")
    }

    @Test("a password holding '/', '?' or ':' unescaped stays the password")
    func awkwardPassword() throws {
        let url = try PostgresURL("postgresql://u:pa/ss?wo:rd@db:5432/d", environment: Self.environment)
        #expect(url.password == "pa/ss?wo:rd" && url.host == "db" && url.database == "d")
    }

    @Test("the masked form and the label never show the password")
    func masked() throws {
        let url = try PostgresURL("postgresql://alice:pl4nted-pass@db:5432/jf?sslmode=verify-full&sslrootcert=/etc/ca.pem",
                                  environment: Self.environment)
        #expect(url.masked == "postgresql://alice:******@db:5432/jf?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem")
        #expect(!url.label.contains("pl4nted-pass") && !url.masked.contains("pl4nted-pass"))
        let bare = try PostgresURL("postgresql://alice@db/jf", environment: Self.environment)
        #expect(bare.masked == "postgresql://alice@db:5432/jf?sslmode=prefer")
    }

    @Test("unusable URLs are refused with what to write instead, never echoing the password",
          arguments: [
            ("postgresql://u:pl4nted-pass@db:99999/d", "port must be a number from 1 to 65535"),
            ("postgresql://u:pl4nted-pass@db/d?sslmode=allow", "jobfleet does not support allow"),
            ("postgresql://u:pl4nted-pass@db/d?sslmode=bogus", "sslmode must be disable, prefer, require, verify-ca, verify-full"),
            ("postgresql://u:pl4nted-pass@db/d?password=x", "not in ?password="),
            ("postgresql://u:pl4nted-pass@db/d?options=-c", "unknown parameter 'options'"),
            ("postgresql://u:pl4nted-pass@/d?host=/tmp&sslmode=verify-full", "needs a TCP host"),
          ])
    func refused(url: String, message: String) {
        do {
            _ = try PostgresURL(url, environment: Self.environment)
            Issue.record("\(message): accepted")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
            #expect(!error.message.contains("pl4nted-pass"))
        }
    }

    @Test("password: the URL's, else PGPASSWORD, else the first matching ~/.pgpass line (0600 only)")
    func passwords() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-pgpass-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = "\(dir)/.pgpass"
        try """
            # comment
            other:5432:jf:alice:wrong
            db:5432:jf:alice:from\\:file
            *:*:*:*:fallback
            """.write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let url = try PostgresURL("postgresql://alice@db/jf", environment: Self.environment)
        let home = ["HOME": dir]
        #expect(PostgresCredentials.password(for: url, environment: home).password == "from:file")
        #expect(PostgresCredentials.password(for: url, environment: home.merging(["PGPASSWORD": "env-pass"]) { $1 }).password == "env-pass")
        let inURL = try PostgresURL("postgresql://alice:url-pass@db/jf", environment: Self.environment)
        #expect(PostgresCredentials.password(for: inURL, environment: home.merging(["PGPASSWORD": "env-pass"]) { $1 }).password == "url-pass")
        let socket = try PostgresURL("postgresql://bob@/other?host=/run/pg", environment: Self.environment)
        #expect(PostgresCredentials.password(for: socket, environment: home).password == "fallback")
        chmod(file, 0o644)
        #expect(PostgresCredentials.password(for: url, environment: home).password == nil)
    }
}
