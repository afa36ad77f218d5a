import Foundation

/// Where a PostgreSQL journal's password comes from, in libpq's order: the URL, then
/// `PGPASSWORD`, then the password file (`PGPASSFILE`, else `~/.pgpass`). No password at all is
/// fine for servers that trust the connection (peer or trust authentication).
enum PostgresCredentials {
    /// The password for `url`, and which source gave it (for messages: never the password).
    static func password(for url: PostgresURL, environment: [String: String]) -> (password: String?, source: String) {
        if let password = url.password { return (password, "the URL") }
        if let password = environment["PGPASSWORD"], !password.isEmpty { return (password, "PGPASSWORD") }
        let file = environment["PGPASSFILE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "\(environment["HOME"] ?? NSHomeDirectory())/.pgpass"
        if let password = passwordFile(file, for: url) { return (password, file) }
        return (nil, "none (no password in the URL, PGPASSWORD or \(file))")
    }

    /// The password of the first line of the file at `path` that matches `url`. As libpq does,
    /// the file is ignored when group or others may read it, or when it is not a regular file.
    static func passwordFile(_ path: String, for url: PostgresURL) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_mode & 0o077 == 0,
              let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        // libpq matches a socket connection against `localhost`.
        let host = url.host ?? "localhost"
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = Self.fields(line)
            guard fields.count == 5 else { continue }
            let wanted = [host, String(url.port), url.database, url.user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// A `.pgpass` line's colon-separated fields, with `\:` and `\\` unescaped.
    static func fields(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
