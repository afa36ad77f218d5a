import Foundation
import Logging
import PostgresNIO

/// The journal in a PostgreSQL database that several operators and CI runners share: one
/// `history` for all of them. One connection per command. Steps, releases and lease events are
/// queued and written in order by one task, so recording never holds up a rollout; `finish`
/// and `close` wait for the queue.
public final class PostgresJournal: JournalStore, @unchecked Sendable {
    let url: PostgresURL
    let connection: PostgresConnection
    let mask: SecretMask
    let run: ControllerRun
    /// PostgresNIO logs nothing through it: a query's binds could hold what the journal stores.
    static let silent = Logger(label: "jobfleet.journal", factory: { _ in SwiftLogNoOpLogHandler() })
    var logger: Logger { Self.silent }
    private let queue: AsyncStream<Write>.Continuation
    private let writer: Task<Void, Never>

    public var location: String { url.masked }

    /// One queued write, or a point the caller waits for.
    enum Write: Sendable {
        case query(PostgresQuery, what: String)
        case flush(CheckedContinuation<Void, Never>)
    }

    /// Connects to `url` (password from the URL, PGPASSWORD or the password file), creates or
    /// migrates the schema, and returns the journal. `warn` hears of writes that failed later.
    /// Throws `JournalUnavailable` (what failed and what to do) or `JournalSchemaTooNew`.
    static func open(_ url: PostgresURL, environment: [String: String] = ProcessInfo.processInfo.environment,
                     mask: SecretMask, run: ControllerRun = .current,
                     warn: @escaping @Sendable (String) -> Void) async throws -> PostgresJournal {
        let (password, source) = PostgresCredentials.password(for: url, environment: environment)
        let connection: PostgresConnection
        do {
            let configuration = try Self.configuration(url, password: password)
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: silent)
        } catch let error as JournalUnavailable {
            throw error
        } catch {
            throw JournalUnavailable.explain(error, url: url, passwordSource: source, password: password)
        }
        let masking = mask.adding(password.map { [$0] } ?? [])
        let journal = PostgresJournal(url: url, connection: connection, mask: masking, run: run, warn: warn)
        do {
            try await journal.migrate()
        } catch let error as JournalSchemaTooNew {
            await journal.close()
            throw error
        } catch {
            await journal.close()
            throw JournalUnavailable.explain(error, url: url, passwordSource: source, password: password)
        }
        return journal
    }

    private init(url: PostgresURL, connection: PostgresConnection, mask: SecretMask, run: ControllerRun,
                 warn: @escaping @Sendable (String) -> Void) {
        self.url = url
        self.connection = connection
        self.mask = mask
        self.run = run
        let (stream, queue) = AsyncStream<Write>.makeStream()
        self.queue = queue
        let logger = Self.silent
        writer = Task {
            var warned = false
            for await write in stream {
                switch write {
                case let .query(query, what):
                    do {
                        try await connection.query(query, logger: logger)
                    } catch {
                        // One warning is enough: the next writes are likely to fail the same way.
                        if !warned {
                            warned = true
                            let problem = JournalUnavailable.explain(error, url: url, passwordSource: "", password: nil)
                            warn("could not record \(what) in the journal (\(problem.problem)); the command goes on")
                        }
                    }
                case let .flush(done):
                    done.resume()
                }
            }
        }
    }

    /// The connection settings for `url`: TCP with its sslmode, or the Unix socket.
    static func configuration(_ url: PostgresURL, password: String?) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socket = url.socketPath {
            configuration = .init(unixSocketPath: socket, username: url.user, password: password, database: url.database)
        } else {
            configuration = .init(host: url.host ?? "localhost", port: url.port, username: url.user, password: password,
                                  database: url.database, tls: try tls(url))
        }
        configuration.options.connectTimeout = .seconds(Int64(url.connectTimeout))
        configuration.options.additionalStartupParameters = [("application_name", "jobfleet")]
        return configuration
    }

    /// `disable`: none; `prefer` and `require`: encrypted, certificate not checked (as libpq);
    /// `verify-ca`: the certificate checked against `sslrootcert` or the system's roots;
    /// `verify-full`: that and the host name.
    static func tls(_ url: PostgresURL) throws -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch url.sslMode {
        case .disable:
            return .disable
        case .prefer, .require:
            tls.certificateVerification = .none
        case .verifyCA, .verifyFull:
            tls.certificateVerification = url.sslMode == .verifyFull ? .fullVerification : .noHostnameVerification
            if let root = url.sslRootCertificate { tls.trustRoots = .file(root) }
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: tls) } catch {
            throw JournalUnavailable(journal: url.label, problem: "TLS could not be set up: \(error)",
                                     advice: "check sslrootcert (a PEM file of CA certificates)")
        }
        return url.sslMode == .prefer ? .prefer(context) : .require(context)
    }

    // MARK: Writing

    /// `body`'s result; an error from the server or the connection is explained as
    /// `JournalUnavailable` (postgres-nio's own text says nothing, on purpose).
    func explained<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as PSQLError {
            throw JournalUnavailable.explain(error, url: url, passwordSource: "the connection", password: nil)
        }
    }

    public func begin(fleet: String, manifest: String, command: String, arguments: [String], version: String?) async throws -> Int64 {
        try await explained { try await insertEntry(fleet: fleet, manifest: manifest, command: command, arguments: arguments, version: version) }
    }

    private func insertEntry(fleet: String, manifest: String, command: String, arguments: [String], version: String?) async throws -> Int64 {
        let who = OperatorName.current
        var running: [(Int64, String?)] = []
        let rows = try await connection.query(
            "SELECT id, run FROM jobfleet_deployment WHERE fleet = \(fleet) AND result = 'running'", logger: logger)
        for try await (id, run) in rows.decode((Int64, String?).self) { running.append((id, run)) }
        for (id, label) in running where run.abandoned(label) {
            try await connection.query("""
                UPDATE jobfleet_deployment SET result = 'interrupted', finished_at = \(Date())
                WHERE id = \(id) AND result = 'running'
                """, logger: logger)
        }
        let arguments = mask(arguments.joined(separator: " "))
        let inserted = try await connection.query("""
            INSERT INTO jobfleet_deployment (fleet, manifest, command, arguments, operator, run, started_at, result, version)
            VALUES (\(fleet), \(manifest), \(command), \(arguments), \(who), \(run.label), \(Date()), 'running', \(version))
            RETURNING id
            """, logger: logger)
        for try await id in inserted.decode(Int64.self) { return id }
        throw JournalUnavailable(journal: url.label, problem: "the server returned no id for the new entry", advice: "check the server's log")
    }

    public func step(_ deployment: Int64, host: String?, service: String?, kind: String, message: String,
                     seconds: Double? = nil, ok: Bool = true) {
        queue.yield(.query("""
            INSERT INTO jobfleet_step (deployment_id, at, host, service, kind, message, seconds, ok)
            VALUES (\(deployment), \(Date()), \(host), \(service), \(kind), \(mask(message)), \(seconds), \(ok))
            """, what: "a step"))
    }

    public func release(_ deployment: Int64, host: String, service: String, release: String, revision: String?) {
        queue.yield(.query("""
            INSERT INTO jobfleet_instance_release (deployment_id, host, service, release, revision, at)
            VALUES (\(deployment), \(host), \(service), \(release), \(revision), \(Date()))
            """, what: "a release"))
    }

    public func finish(_ deployment: Int64, result: String, summary: String, bytes: (placed: UInt64, sent: UInt64)?) async {
        let placed = bytes.map { Int64(clamping: $0.placed) }, sent = bytes.map { Int64(clamping: $0.sent) }
        queue.yield(.query("""
            UPDATE jobfleet_deployment SET result = \(result), summary = \(mask(summary)), finished_at = \(Date()),
                bytes_placed = \(placed), bytes_sent = \(sent)
            WHERE id = \(deployment)
            """, what: "the result"))
        await flush()
    }

    public func lease(_ event: LeaseEvent, fleet: String) {
        switch event {
        case let .taken(host, lease):
            let record = LeaseRecord(fleet: fleet, host: host, lease: lease)
            queue.yield(.query("""
                INSERT INTO jobfleet_lease (fleet, host, operator, command, run, token, acquired_at)
                VALUES (\(fleet), \(host), \(record.operator), \(record.command), \(record.run), \(record.token), \(record.acquiredAt))
                """, what: "a lease"))
        case let .released(host, token, at):
            queue.yield(.query("""
                UPDATE jobfleet_lease SET released_at = \(at), note = 'released'
                WHERE fleet = \(fleet) AND host = \(host) AND token = \(Int64(clamping: token)) AND run = \(run.label)
                  AND released_at IS NULL
                """, what: "a lease's release"))
        case let .takenOver(host, holder, by, at):
            let taker = LeaseOwner(by)
            queue.yield(.query("""
                UPDATE jobfleet_lease SET released_at = \(at), note = \("taken over by \(taker.operator) (\(taker.run))")
                WHERE fleet = \(fleet) AND host = \(host) AND token = \(Int64(clamping: holder.token)) AND released_at IS NULL
                """, what: "a lease takeover"))
        }
    }

    /// Waits until every write queued before it has been made (or has failed).
    func flush() async {
        await withCheckedContinuation { done in
            if case .terminated = queue.yield(.flush(done)) { done.resume() }
        }
    }

    public func close() async {
        queue.finish()
        await writer.value
        try? await connection.close()
    }
}
