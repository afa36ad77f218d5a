import Foundation
import Shared

/// A `job.env` file: `KEY=value` lines giving the values of `__KEY__` placeholders.
///
/// No shell expansion happens: `$HOME` stays `$HOME`. One pair of surrounding quotes is
/// removed. `#` starts a comment only at the beginning of a line.
public struct EnvFile: Sendable {
    /// The file this was read from (for messages).
    public var path: String
    /// Values by key.
    public var values: [String: String]
    /// The line each key was set on.
    public var lines: [String: Int]

    /// Reads and checks `path`; every bad line is reported at once.
    public static func load(path: String) throws -> EnvFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ConfigError(issues: [ConfigIssue(file: path, field: "",
                message: exists ? "cannot be read: check its permissions" : "does not exist")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(issues: [ConfigIssue(file: path, field: "", message: "is not valid UTF-8")])
        }
        return try parse(text, path: path)
    }

    /// Parses env-file text; `path` names it in messages.
    public static func parse(_ text: String, path: String) throws -> EnvFile {
        var values: [String: String] = [:]
        var lines: [String: Int] = [:]
        var issues: [ConfigIssue] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            var line = String(rawLine)
            if line.hasSuffix("\r") { line.removeLast() }
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var body = trimmed
            if body.hasPrefix("export ") { body = String(body.dropFirst("export ".count)).trimmingWhitespace() }
            guard let equals = body.firstIndex(of: "=") else {
                issues.append(ConfigIssue(file: path, line: number, field: "",
                    message: "expected KEY=value, got '\(Self.preview(body))'"))
                continue
            }
            let key = String(body[..<equals]).trimmingWhitespace()
            var value = String(body[body.index(after: equals)...]).trimmingWhitespace()
            guard SafeName.isEnvKey(key) else {
                issues.append(ConfigIssue(file: path, line: number, field: key.isEmpty ? "" : key,
                    message: "is not a valid key: use upper-case letters, digits and '_', starting with a letter"))
                continue
            }
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            if let earlier = lines[key] {
                issues.append(ConfigIssue(file: path, line: number, field: key,
                    message: "is already set on line \(earlier); keep one of the two"))
                continue
            }
            values[key] = value
            lines[key] = number
        }
        if !issues.isEmpty { throw ConfigError(issues: issues) }
        return EnvFile(path: path, values: values, lines: lines)
    }

    /// The start of a line for messages, cut short so a secret value is not shown whole.
    private static func preview(_ text: String) -> String {
        text.count > 24 ? String(text.prefix(24)) + "…" : text
    }
}
