/// Which env keys hold secrets. Their values are never printed, logged or shown in a diff.
public enum Secrets {
    static let markers = ["PASSWORD", "SECRET", "TOKEN", "PRIVATE_KEY", "CREDENTIAL"]

    /// True when `key` names a secret.
    public static func isSecret(_ key: String) -> Bool {
        let upper = key.uppercased()
        return markers.contains { upper.contains($0) }
    }

    /// `text` with every secret value of `values` replaced by `******`.
    public static func redact(_ text: String, values: [String: String]) -> String {
        var result = text
        let secrets = values.filter { isSecret($0.key) && !$0.value.isEmpty }.map(\.value)
        // Longest first, so a secret that contains another is hidden whole.
        for secret in secrets.sorted(by: { $0.count > $1.count }) {
            result = result.replacing(secret, with: "******")
        }
        return result
    }
}
