/// One problem found in a manifest, catalog, env file or template, located precisely enough
/// for an operator to jump to it.
public struct ConfigIssue: Sendable, Equatable, CustomStringConvertible {
    /// The file the problem is in.
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// 1-based column, when known.
    public var column: Int?
    /// The dotted field path (`hosts[1].address`) or key the problem concerns.
    public var field: String
    /// What is wrong and, where it helps, what to do.
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, field: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return field.isEmpty ? "\(location): \(message)" : "\(location): \(field): \(message)"
    }
}

/// Every problem found in one validation pass, reported together so an operator fixes them
/// all in one round.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var issues: [ConfigIssue]

    public init(issues: [ConfigIssue]) { self.issues = issues }

    public var description: String {
        if issues.count == 1 { return issues[0].description }
        let files = Set(issues.map(\.file))
        let subject = files.count == 1 ? files.first! : "\(files.count) files"
        return "\(issues.count) problems in \(subject):\n" + issues.map { "  \($0)" }.joined(separator: "\n")
    }
}
