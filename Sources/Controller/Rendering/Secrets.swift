/// Which env keys hold secrets, and how their values are kept out of everything JobFleet
/// prints or records.
public enum Secrets {
    /// A key holding one of these (upper-cased) names a secret.
    static let markers = ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "PRIVATE", "CREDENTIAL", "SECURE", "AUTH"]

    /// True when `key` names a secret: it holds one of `markers`, ends in `_KEY`, or is one of
    /// `extra` (the manifest's `release.secret_keys`).
    public static func isSecret(_ key: String, extra: Set<String> = []) -> Bool {
        let upper = key.uppercased()
        return extra.contains(key) || upper.hasSuffix("_KEY") || markers.contains { upper.contains($0) }
    }

    /// What a hidden value is shown as.
    public static let placeholder = "******"
}

/// Hides secrets in text: every value of a secret key wherever it appears, and the password of
/// any URL that carries credentials (`scheme://user:password@host`). Built once from the env
/// values; applied to everything that is printed, journaled or shown in a diff.
public struct SecretMask: Sendable {
    /// Values hidden wherever they appear, longest first so a secret containing another is
    /// hidden whole.
    public let values: [String]

    /// A mask that hides only URL passwords.
    public static let urlsOnly = SecretMask(values: [])

    init(values: [String]) { self.values = values }

    /// The mask for an env file's values: the value of every secret key (see `Secrets.isSecret`)
    /// and every URL password found in any value.
    public init(env: [String: String], extraKeys: Set<String> = []) {
        var found = Set<String>()
        for (key, value) in env {
            if Secrets.isSecret(key, extra: extraKeys), Self.maskable(value) { found.insert(value) }
            for password in Self.urlPasswords(in: value) where Self.maskable(password) { found.insert(password) }
        }
        values = found.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// This mask hiding `more` values as well (those `maskable` allows).
    public func adding(_ more: [String]) -> SecretMask {
        let all = Set(values + more.filter(Self.maskable))
        return SecretMask(values: all.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 })
    }

    /// `text` with every secret hidden.
    public func callAsFunction(_ text: String) -> String {
        var result = text
        for value in values where result.contains(value) {
            result = result.replacing(value, with: Secrets.placeholder)
        }
        return Self.hidingURLPasswords(result)
    }

    /// True when `text` holds something this mask hides.
    public func reveals(_ text: String) -> Bool {
        values.contains { text.contains($0) } || !Self.urlPasswords(in: text).isEmpty
    }

    /// Values too short or too common to hide by value without garbling unrelated text
    /// ("true", "1", a two-letter word). They are still hidden where their key is known:
    /// diffs hide every line that came from a secret placeholder.
    static func maskable(_ value: String) -> Bool {
        value.count >= 4 && !["true", "false", "null", "none"].contains(value.lowercased())
    }

    /// `scheme://user:password@` — the password is the second group.
    nonisolated(unsafe) static let credentialURL = /([A-Za-z][A-Za-z0-9+.\-]*:\/\/[^\s:\/@]*:)([^\s@\/]+)@/

    static func urlPasswords(in text: String) -> [String] {
        text.matches(of: credentialURL).map { String($0.output.2) }.filter { $0 != Secrets.placeholder }
    }

    static func hidingURLPasswords(_ text: String) -> String {
        guard text.contains("://") else { return text }
        return text.replacing(credentialURL) { "\($0.output.1)\(Secrets.placeholder)@" }
    }
}
