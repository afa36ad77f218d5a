import Foundation
import PostgresNIO

/// The shared journal could not be opened or used: which server and database, what went
/// wrong, and what to do. Never holds the password (messages from the server and from the
/// network stack carry none; the text is masked all the same).
public struct JournalUnavailable: Error, CustomStringConvertible {
    /// `user@host:port/database`.
    public var journal: String
    public var problem: String
    public var advice: String

    public var description: String { "journal \(journal): \(problem); \(advice)" }

    /// What `error`, met while connecting to `url` with a password from `passwordSource`,
    /// means for the operator.
    static func explain(_ error: any Error, url: PostgresURL, passwordSource: String, password: String?) -> JournalUnavailable {
        let (problem, advice) = describe(error, url: url, passwordSource: passwordSource)
        let mask = SecretMask(values: password.map { [$0] } ?? [])
        return JournalUnavailable(journal: url.label, problem: mask(problem), advice: mask(advice))
    }

    static let elsewhere = "or point --journal, JOBFLEET_JOURNAL or the manifest's journal: at a reachable database"

    private static func describe(_ error: any Error, url: PostgresURL, passwordSource: String) -> (String, String) {
        guard let error = error as? PSQLError else {
            return ("\(error)", "check the server, \(elsewhere)")
        }
        switch error.code {
        case .connectionError:
            let reason = error.underlying.map(network) ?? "no answer"
            let hint = url.socketPath != nil
                ? "check that PostgreSQL runs and listens on that socket (unix_socket_directories, port)"
                : "check that PostgreSQL runs there and accepts TCP connections from this machine (listen_addresses, port, firewall)"
            return ("cannot connect to \(url.endpoint): \(reason)", "\(hint), \(elsewhere)")
        case .server:
            return server(error, url: url, passwordSource: passwordSource)
        case .authMechanismRequiresPassword:
            return ("the server asks for a password and none was given",
                    "put it in PGPASSWORD or ~/.pgpass (host:port:database:user:password, mode 0600), or in the URL")
        case .unsupportedAuthMechanism:
            return ("the server asks for an authentication method jobfleet does not support",
                    "use scram-sha-256, md5 or password authentication in pg_hba.conf for this user")
        case .sslUnsupported:
            return ("the server does not offer TLS, and sslmode=\(url.sslMode.rawValue) requires it",
                    "enable ssl on the server, or use sslmode=prefer or sslmode=disable")
        case .failedToAddSSLHandler:
            return ("TLS could not be set up: \(error.underlying.map { "\($0)" } ?? "unknown reason")",
                    "check sslrootcert and the server's certificate, or use sslmode=require (encrypted, not verified)")
        case .serverClosedConnection, .uncleanShutdown:
            let reason = error.underlying.map(network) ?? "without saying why"
            return ("the server closed the connection \(reason)",
                    "check the server's log; with sslmode=verify-full, check its certificate and host name")
        default:
            return ("\(error.code)\(error.underlying.map { ": \(network($0))" } ?? "")", "check the server, \(elsewhere)")
        }
    }

    /// A server's refusal, by its SQLSTATE.
    private static func server(_ error: PSQLError, url: PostgresURL, passwordSource: String) -> (String, String) {
        let state = error.serverInfo?[.sqlState] ?? ""
        let message = error.serverInfo?[.message] ?? "refused"
        switch state {
        case "28P01":
            return ("the server refused the password for user \(url.user) (\(message); password from \(passwordSource))",
                    "check the password in the URL, PGPASSWORD or ~/.pgpass")
        case "28000":
            return ("the server refused user \(url.user): \(message)",
                    "ask the database's administrator to allow this user from this machine (pg_hba.conf)")
        case "3D000":
            return ("database \(url.database) does not exist",
                    "create it (createdb -O \(url.user) \(url.database)) or name another in the URL")
        case "57P03":
            return ("the server is starting up or shutting down", "try again in a moment")
        default:
            return ("the server answered \(message) (SQLSTATE \(state))", "check the server, \(elsewhere)")
        }
    }

    /// Network errors as people read them (`connection refused`, `timed out`).
    private static func network(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return network(first.error) }
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "cannot resolve the host name (\(dns))" }
            return "connection failed"
        }
        if let error = error as? ChannelError, case .connectTimeout(let amount) = error {
            return "no answer within \(amount.nanoseconds / 1_000_000_000)s"
        }
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        return "\(error)"
    }
}
