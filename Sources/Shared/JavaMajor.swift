/// The major version of a Java runtime from the version string `java -version` prints:
/// `1.8.0_392` is 8 (the old `1.x` scheme, up to Java 8), `17.0.15` is 17, `21` is 21,
/// `11-ea` is 11.
public enum JavaMajor {
    /// The major version, or nil when `version` does not start with a number.
    public static func of(_ version: String) -> Int? {
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        func number(_ part: Substring?) -> Int? {
            guard let part else { return nil }
            let digits = part.prefix { $0.isASCII && $0.isNumber }
            return digits.isEmpty ? nil : Int(digits)
        }
        guard let first = number(parts.first) else { return nil }
        if first == 1, parts.count > 1 { return number(parts[1]) }
        return first
    }
}
