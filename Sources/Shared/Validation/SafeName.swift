/// Rules for names and paths that come from manifests and catalogs and end up in remote
/// commands and file paths. Everything is checked before any host is contacted.
public enum SafeName {
    /// A service name such as `job-manage`: lower-case letters, digits and dashes, starting with a letter.
    public static func isServiceName(_ value: String) -> Bool {
        matches(value, first: isLowerLetter, rest: { isLowerLetter($0) || isDigit($0) || $0 == "-" }, max: 63)
            && !value.hasSuffix("-")
    }

    /// A host name in the manifest (an identifier, not an address): letters, digits, `-`, `_`, `.`.
    public static func isHostName(_ value: String) -> Bool {
        matches(value, first: { isLetter($0) || isDigit($0) },
                rest: { isLetter($0) || isDigit($0) || $0 == "-" || $0 == "_" || $0 == "." }, max: 63)
    }

    /// A network address: an IPv4 or IPv6 literal or a DNS name. No spaces, no shell characters.
    public static func isAddress(_ value: String) -> Bool {
        matches(value, first: { isLetter($0) || isDigit($0) || $0 == ":" },
                rest: { isLetter($0) || isDigit($0) || $0 == "." || $0 == "-" || $0 == ":" || $0 == "%" }, max: 253)
    }

    /// A login name for SSH.
    public static func isUserName(_ value: String) -> Bool {
        matches(value, first: { isLowerLetter($0) || $0 == "_" },
                rest: { isLowerLetter($0) || isDigit($0) || $0 == "_" || $0 == "-" || $0 == "." }, max: 32)
    }

    /// A placeholder key such as `BK_JOB_MANAGE_SERVER_PORT`.
    public static func isEnvKey(_ value: String) -> Bool {
        matches(value, first: { isUpperLetter($0) || $0 == "_" },
                rest: { isUpperLetter($0) || isDigit($0) || $0 == "_" }, max: 128)
    }

    /// Why `path` is not a safe path, or nil when it is. `absolute` says which kind is expected.
    /// Safe paths have no `..` component, no empty or `.` components (after the leading slash),
    /// and only characters that need no quoting anywhere: letters, digits, `/ . _ - + @ : , =`,
    /// plus those of `alsoAllowed` (a path only read locally may allow more, e.g. `#`).
    public static func pathProblem(_ path: String, absolute: Bool, alsoAllowed: String = "") -> String? {
        if path.isEmpty { return "is empty" }
        if absolute && !path.hasPrefix("/") { return "must be an absolute path (start with /)" }
        if !absolute && path.hasPrefix("/") { return "must be a relative path (no leading /)" }
        if path.utf8.count > 4096 { return "is longer than 4096 bytes" }
        for scalar in path.unicodeScalars where !isPathCharacter(scalar) && !alsoAllowed.unicodeScalars.contains(scalar) {
            let extra = alsoAllowed.unicodeScalars.map { " \($0)" }.joined()
            return "contains \(describe(scalar)); only letters, digits and / . _ - + @ : , =\(extra) are allowed"
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            if part == ".." { return "contains a '..' component" }
            let isEdge = index == 0 || index == parts.count - 1
            if part == "." || (part.isEmpty && !isEdge) { return "has an empty or '.' component" }
        }
        return nil
    }

    private static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case " ": return "a space"
        case "\n": return "a line break"
        case "\t": return "a tab"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7f { return "a control character" }
            return "'\(Character(scalar))'"
        }
    }

    private static func isPathCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "/", ".", "_", "-", "+", "@", ":", ",", "=": return true
        default: return false
        }
    }

    private static func matches(_ value: String, first: (Character) -> Bool,
                                rest: (Character) -> Bool, max: Int) -> Bool {
        guard let head = value.first, value.count <= max, first(head) else { return false }
        return value.dropFirst().allSatisfy(rest)
    }

    private static func isLowerLetter(_ c: Character) -> Bool { c >= "a" && c <= "z" }
    private static func isUpperLetter(_ c: Character) -> Bool { c >= "A" && c <= "Z" }
    private static func isLetter(_ c: Character) -> Bool { isLowerLetter(c) || isUpperLetter(c) }
    private static func isDigit(_ c: Character) -> Bool { c >= "0" && c <= "9" }
}
