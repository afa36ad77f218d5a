import Foundation

/// A PostgreSQL journal's address, `postgresql://[user[:password]@][host][:port][/database][?…]`,
/// parsed as libpq reads it where it matters here. The password is a secret: it is kept for
/// connecting and never shown; `masked` and `label` are what messages use.
public struct PostgresURL: Sendable, Equatable {
    /// How TLS is used on a TCP connection (`sslmode`). Unix sockets never use TLS.
    public enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, plain otherwise; the certificate is not checked (libpq's default).
        case prefer
        /// TLS or no connection; the certificate is not checked (as libpq's `require`).
        case require
        /// TLS with the certificate checked against the system's roots (or `sslrootcert`), not
        /// the host name.
        case verifyCA = "verify-ca"
        /// TLS with the certificate checked against the system's roots (or `sslrootcert`) and
        /// the host name.
        case verifyFull = "verify-full"
    }

    /// TCP host name or address; nil for a Unix socket.
    public var host: String?
    /// The directory of the server's Unix socket, when connecting through one.
    public var socketDirectory: String?
    public var port: Int
    public var user: String
    /// From the URL only; see `PostgresCredentials` for PGPASSWORD and `~/.pgpass`.
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// CA certificates (PEM) for `verify-full` instead of the system's roots.
    public var sslRootCertificate: String?
    /// Seconds to wait for the server to answer a connection.
    public var connectTimeout: Int

    /// The query parameters understood; any other is refused rather than ignored.
    static let parameters = ["sslmode", "sslrootcert", "host", "port", "user", "dbname", "connect_timeout"]

    /// True when `text` is meant as a PostgreSQL URL (by its scheme).
    public static func isPostgres(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://")
    }

    /// Parses `text`. `environment` gives PGUSER and the login name used when the URL names no
    /// user. Errors never contain the password.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PostgresURLError) {
        guard let schemeEnd = text.range(of: "://"), Self.isPostgres(text) else {
            throw PostgresURLError("must start with postgresql:// or postgres://")
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        // The credentials end at the last '@', so a password holding '/', '?' or ':' unescaped
        // still parses as a password rather than spilling into the host (and into messages).
        var userInfo: Substring?
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = rest[..<mark]
        }
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        var user: String?
        if let userInfo {
            if let colon = userInfo.firstIndex(of: ":") {
                user = try Self.decoded(userInfo[..<colon], "user")
                password = try Self.decoded(userInfo[userInfo.index(after: colon)...], "password")
            } else {
                user = try Self.decoded(userInfo, "user")
            }
        }
        var hostText = ""
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw PostgresURLError("IPv6 address without a closing ']'") }
            hostText = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw PostgresURLError("unexpected text after the IPv6 address")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            hostText = try Self.decoded(rest[..<colon], "host")
            portText = rest[rest.index(after: colon)...]
        } else {
            hostText = try Self.decoded(rest, "host")
        }
        var database = path.isEmpty ? nil : try Self.decoded(Substring(path), "database")
        var port = 5432
        if let portText { port = try Self.port(String(portText)) }
        sslMode = .prefer
        connectTimeout = 10
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = try Self.decoded(parts.count > 1 ? parts[1] : "", key)
            switch key {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw PostgresURLError("sslmode must be \(SSLMode.allCases.map(\.rawValue).joined(separator: ", ")), got '\(value)'"
                        + (value == "allow" ? " (jobfleet does not support allow: use prefer or disable)" : ""))
                }
                sslMode = mode
            case "sslrootcert": sslRootCertificate = value
            case "host": hostText = value
            case "port": port = try Self.port(value)
            case "user": user = value
            case "dbname": database = value
            case "connect_timeout":
                guard let seconds = Int(value), (1...600).contains(seconds) else {
                    throw PostgresURLError("connect_timeout must be whole seconds from 1 to 600, got '\(value)'")
                }
                connectTimeout = seconds
            case "password":
                throw PostgresURLError("a password goes before the host (postgresql://user:password@host/…), or in PGPASSWORD or ~/.pgpass, not in ?password=")
            default:
                throw PostgresURLError("unknown parameter '\(key)'; jobfleet understands \(Self.parameters.joined(separator: ", "))")
            }
        }
        if hostText.hasPrefix("/") {
            socketDirectory = hostText
        } else if hostText.isEmpty {
            socketDirectory = "/var/run/postgresql"
        } else {
            host = hostText
        }
        self.port = port
        let chosen = [user, environment["PGUSER"], environment["USER"]].compactMap { $0 }.first { !$0.isEmpty }
        self.user = chosen ?? Self.loginName
        self.database = database.flatMap { $0.isEmpty ? nil : $0 } ?? self.user
        if [.verifyCA, .verifyFull].contains(sslMode) && host == nil {
            throw PostgresURLError("sslmode=\(sslMode.rawValue) needs a TCP host; a Unix socket has no certificate")
        }
    }

    /// This process's account name, when nothing names a user.
    private static var loginName: String {
        getpwuid(getuid()).flatMap { String(validatingCString: $0.pointee.pw_name) } ?? "postgres"
    }

    /// The Unix socket file when connecting through one (`<directory>/.s.PGSQL.<port>`).
    public var socketPath: String? { socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } }

    /// Where the server is: `host:port`, or the socket file.
    public var endpoint: String {
        if let socketPath { return socketPath }
        let name = host ?? ""
        return name.contains(":") ? "[\(name)]:\(port)" : "\(name):\(port)"
    }

    /// `user@endpoint/database`, for messages: no password.
    public var label: String { "\(user)@\(endpoint)/\(database)" }

    /// The URL as it can be shown: the password (if any) replaced by `******`.
    public var masked: String {
        var text = "postgresql://\(Self.encoded(user))"
        if password != nil { text += ":\(Secrets.placeholder)" }
        text += "@"
        if let host { text += host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
        text += "/\(Self.encoded(database))"
        var query: [String] = []
        if let socketDirectory { query.append("host=\(Self.encoded(socketDirectory))&port=\(port)") }
        if host != nil { query.append("sslmode=\(sslMode.rawValue)") }
        if let sslRootCertificate { query.append("sslrootcert=\(Self.encoded(sslRootCertificate))") }
        return query.isEmpty ? text : text + "?" + query.joined(separator: "&")
    }

    private static func port(_ text: String) throws(PostgresURLError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw PostgresURLError("port must be a number from 1 to 65535, got '\(text)'")
        }
        return port
    }

    /// Percent-decoding; a bad escape in the password is reported without the password.
    private static func decoded(_ text: Substring, _ part: String) throws(PostgresURLError) -> String {
        guard let value = String(text).removingPercentEncoding else {
            throw PostgresURLError("the \(part) has a malformed %-escape")
        }
        return value
    }

    private static func encoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// A journal URL that cannot be used; the message never holds the URL's password.
public struct PostgresURLError: Error, CustomStringConvertible, Equatable {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
