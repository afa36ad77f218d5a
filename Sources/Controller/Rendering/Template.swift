import Shared

/// A configuration template with `__KEY__` placeholders, as bk-job ships them.
public struct Template: Sendable {
    /// Where the template came from (for messages).
    public var file: String
    public var text: String

    public init(file: String, text: String) {
        self.file = file
        self.text = text
    }

    /// A placeholder occurrence: the key and the 1-based line it is on.
    public struct Placeholder: Sendable, Equatable {
        public var key: String
        public var line: Int
    }

    /// The template's lines, as a rendered file has them (values are single lines).
    public var lines: [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// Every placeholder in the template, in order.
    public var placeholders: [Placeholder] {
        var result: [Placeholder] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            for match in line.matches(of: Self.pattern) {
                result.append(Placeholder(key: String(match.output.1), line: index + 1))
            }
        }
        return result
    }

    /// The lines (0-based) holding a placeholder whose key `isSecret` says is a secret. Values
    /// are single lines, so a rendered file has the same lines as its template.
    public func secretLines(_ isSecret: (String) -> Bool) -> Set<Int> {
        Set(placeholders.filter { isSecret($0.key) }.map { $0.line - 1 })
    }

    /// Replaces every placeholder with its value. A placeholder without a value is an error that
    /// names this template, the line and the key; all of them are reported together.
    public func render(_ values: [String: String]) throws -> String {
        let missing = placeholders.filter { values[$0.key] == nil }
        if !missing.isEmpty {
            throw ConfigError(issues: missing.map {
                ConfigIssue(file: file, line: $0.line, field: $0.key,
                            message: "has no value: add \($0.key)=… to the env file")
            })
        }
        return text.replacing(Self.pattern) { match in values[String(match.output.1)] ?? "" }
    }

    /// `__KEY__`: upper-case key between double underscores, matched lazily so two placeholders
    /// side by side stay two.
    nonisolated(unsafe) static let pattern = /__([A-Z][A-Z0-9_]*?[A-Z0-9])__/
}
