import Foundation
import Shared

/// The env files of a release, read in order as `set -o allexport; source FILE` reads them: the
/// values of `__KEY__` placeholders. BlueKing's global env file usually comes first, then
/// `job.env`; a later assignment wins, and `$NAME`/`${NAME}` expand to what was set before.
///
/// The keys jobfleet sets per host (`BK_HOME`, `LAN_IP`, `HOST_NAME`) are not taken from the
/// files: an assignment to one is ignored (upstream's `job.env` has an empty `BK_HOME=`), and
/// `$BK_HOME` in a value is kept as `__BK_HOME__`, so it becomes each host's own value.
public struct EnvFile: Sendable {
    /// Where a key was last set.
    public struct Origin: Sendable, Equatable {
        public var file: String
        public var line: Int
    }

    /// The files read, in order.
    public var paths: [String]
    /// Values by key.
    public var values: [String: String]
    /// Where each key was set.
    public var origins: [String: Origin]
    /// Problems that do not stop a deploy: a key set twice in one file, a per-host key set in a
    /// file, a name expanded empty under `undefined: empty`.
    public var warnings: [ConfigIssue] = []

    /// The last file read (for messages about the env as a whole).
    public var path: String { paths.last ?? "" }
    /// The line each key was set on.
    public var lines: [String: Int] { origins.mapValues(\.line) }

    /// Keys jobfleet sets for each host.
    public static let perHostKeys: Set<String> = ["BK_HOME", "LAN_IP", "HOST_NAME", "CONSUL_HTTP_PORT", "CONSUL_SCHEME"]

    /// Where the manifest sets each of `perHostKeys`, for the warning about an env value.
    static func perHostSource(_ key: String) -> String {
        switch key {
        case "BK_HOME": return "hosts[].bk_home (or bk_home)"
        case "LAN_IP": return "hosts[].address"
        case "HOST_NAME": return "hosts[].name"
        case "CONSUL_HTTP_PORT": return "hosts[].consul_http_port (or consul.http_port)"
        default: return "consul.scheme"
        }
    }

    /// Reads and checks `paths` in order; every bad line of every file is reported at once.
    public static func load(paths: [String], undefined: UndefinedPolicy = .error) throws -> EnvFile {
        var env = EnvFile(paths: [], values: [:], origins: [:])
        var issues: [ConfigIssue] = []
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                let exists = FileManager.default.fileExists(atPath: path)
                issues.append(ConfigIssue(file: path, field: "", message: exists ? "cannot be read: check its permissions" : "does not exist"))
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                issues.append(ConfigIssue(file: path, field: "", message: "is not valid UTF-8"))
                continue
            }
            do { try env.read(text, path: path, undefined: undefined) } catch { issues += error.issues }
        }
        if !issues.isEmpty { throw ConfigError(issues: issues) }
        return env
    }

    /// Reads one file.
    public static func load(path: String, undefined: UndefinedPolicy = .error) throws -> EnvFile {
        try load(paths: [path], undefined: undefined)
    }

    /// Parses env-file text; `path` names it in messages.
    public static func parse(_ text: String, path: String, undefined: UndefinedPolicy = .error) throws -> EnvFile {
        var env = EnvFile(paths: [], values: [:], origins: [:])
        try env.read(text, path: path, undefined: undefined)
        return env
    }

    /// Adds the assignments of one more file, after those read so far.
    mutating func read(_ text: String, path: String, undefined: UndefinedPolicy) throws(ConfigError) {
        paths.append(path)
        var issues: [ConfigIssue] = []
        var setHere: [String: Int] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            var line = String(rawLine)
            if line.hasSuffix("\r") { line.removeLast() }
            var body = line.trimmingWhitespace()
            if body.isEmpty || body.hasPrefix("#") { continue }
            if body.hasPrefix("export ") { body = String(body.dropFirst("export ".count)).trimmingWhitespace() }
            guard let equals = body.firstIndex(of: "=") else {
                issues.append(ConfigIssue(file: path, line: number, field: "",
                    message: "expected KEY=value, got '\(Self.preview(body))'"))
                continue
            }
            let key = String(body[..<equals])
            guard SafeName.isEnvKey(key) else {
                issues.append(ConfigIssue(file: path, line: number, field: key.trimmingWhitespace(),
                    message: "is not a valid key: use upper-case letters, digits and '_', starting with a letter, and no space before '='"))
                continue
            }
            let word: EnvWord
            do {
                word = try EnvWord.parse(String(body[body.index(after: equals)...]), perHost: Self.perHostKeys) { values[$0] }
            } catch {
                issues.append(ConfigIssue(file: path, line: number, field: key, message: error.message))
                continue
            }
            for name in word.undefined {
                let problem = ConfigIssue(file: path, line: number, field: key,
                    message: "uses $\(name), which no env file sets before this line")
                if undefined == .empty {
                    warnings.append(ConfigIssue(file: problem.file, line: number, field: key, message: problem.message + "; it expands empty"))
                } else {
                    issues.append(ConfigIssue(file: path, line: number, field: key, message: problem.message
                        + ": set it in this file or an earlier one, or set release.undefined: empty to expand it empty"))
                }
            }
            if Self.perHostKeys.contains(key) {
                if !word.value.isEmpty {
                    warnings.append(ConfigIssue(file: path, line: number, field: key,
                        message: "is ignored: jobfleet sets \(key) for each host (\(Self.perHostSource(key)) in the manifest)"))
                }
                continue
            }
            if let earlier = setHere[key] {
                warnings.append(ConfigIssue(file: path, line: number, field: key,
                    message: "is set again (first on line \(earlier)); this later value is used, as bash would"))
            }
            setHere[key] = number
            values[key] = word.value
            origins[key] = Origin(file: path, line: number)
        }
        if !issues.isEmpty { throw ConfigError(issues: issues) }
    }

    /// The start of a line for messages, cut short so a secret value is not shown whole.
    private static func preview(_ text: String) -> String {
        text.count > 24 ? String(text.prefix(24)) + "…" : text
    }
}

/// What to do with a `__KEY__` placeholder, or a `$NAME` in an env file, that has no value
/// (`release.undefined` in the manifest).
public enum UndefinedPolicy: String, Sendable, Equatable {
    /// Refuse, naming the file, line and key (the default).
    case error
    /// Render it empty with a warning per key, as upstream's `render_tpl -u` does.
    case empty
}
