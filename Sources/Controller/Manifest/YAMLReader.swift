import Foundation
import Shared
import Yams

/// Reads a YAML document as a tree of located nodes and collects every problem with its line,
/// instead of stopping at the first. Manifest and catalog loaders build on it.
///
/// Only scalar mapping keys are accepted and only the fields a loader asks for are visited, so
/// anchors and aliases cannot make the walk explode; aliases are refused outright anyway, and
/// files are capped in size.
final class YAMLReader {
    /// Largest document accepted; a fleet manifest for hundreds of hosts is far smaller.
    static let maxBytes = 4 << 20

    let file: String
    private(set) var issues: [ConfigIssue] = []

    init(file: String) { self.file = file }

    /// A key/value pair of a mapping with the key's text.
    struct Entry {
        var key: String
        var keyNode: Node
        var value: Node
    }

    /// A mapping's entries plus the field path it sits at.
    struct Mapping {
        var field: String
        var node: Node
        var entries: [Entry]

        subscript(key: String) -> Node? { entries.first { $0.key == key }?.value }

        func path(_ key: String) -> String { field.isEmpty ? key : "\(field).\(key)" }
    }

    /// Loads and composes the file; returns nil (with an issue recorded) when it can't.
    static func load(path: String) -> (YAMLReader, Node?) {
        let reader = YAMLReader(file: path)
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            reader.issues.append(ConfigIssue(file: path, field: "",
                message: exists ? "cannot be read: check its permissions" : "does not exist"))
            return (reader, nil)
        }
        guard data.count <= maxBytes else {
            reader.issues.append(ConfigIssue(file: path, field: "",
                message: "is \(data.count) bytes, more than the \(maxBytes)-byte limit"))
            return (reader, nil)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            reader.issues.append(ConfigIssue(file: path, field: "", message: "is not valid UTF-8"))
            return (reader, nil)
        }
        return (reader, reader.compose(text))
    }

    /// Reads the document at `path` with `parse`, throwing every problem found at once.
    static func read<T>(path: String, _ parse: (Node, YAMLReader) -> T?) throws -> T {
        let (reader, root) = load(path: path)
        return try reader.finish(root.flatMap { parse($0, reader) })
    }

    /// Reads YAML text with `parse`; `path` names it in messages.
    static func read<T>(yaml: String, path: String, _ parse: (Node, YAMLReader) -> T?) throws -> T {
        let reader = YAMLReader(file: path)
        return try reader.finish(reader.compose(yaml).flatMap { parse($0, reader) })
    }

    private func finish<T>(_ value: T?) throws -> T {
        guard let value, issues.isEmpty else { throw ConfigError(issues: issues) }
        return value
    }

    /// Composes YAML text into a node tree, recording a located syntax error on failure.
    func compose(_ text: String) -> Node? {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                issues.append(ConfigIssue(file: file, line: 1, field: "", message: "is empty"))
                return nil
            }
            return node
        } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
            for key in duplicates {
                let line = Self.secondOccurrence(of: key, in: text, from: context.mark.line) ?? context.mark.line
                issues.append(ConfigIssue(file: file, line: line, field: key,
                                          message: "is given more than once in the same mapping; keep one"))
            }
            return nil
        } catch let error as YamlError {
            issues.append(Self.issue(from: error, file: file))
            return nil
        } catch {
            issues.append(ConfigIssue(file: file, field: "", message: "is not valid YAML: \(error)"))
            return nil
        }
    }

    /// The line of the second `key:` at the start of a line, from `line` on: where a duplicate
    /// key sits, since the parser only reports the mapping it belongs to.
    private static func secondOccurrence(of key: String, in text: String, from line: Int) -> Int? {
        var seen = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where index + 1 >= line {
            let body = raw.drop(while: { $0 == " " || $0 == "-" })
            if body.hasPrefix("\(key):") || body.hasPrefix("\"\(key)\":") || body.hasPrefix("'\(key)':") {
                seen += 1
                if seen == 2 { return index + 1 }
            }
        }
        return nil
    }

    private static func issue(from error: YamlError, file: String) -> ConfigIssue {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
            return ConfigIssue(file: file, line: mark.line, column: mark.column, field: "",
                               message: "is not valid YAML: \(what)")
        case let .composer(context, problem, mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
            return ConfigIssue(file: file, line: mark.line, column: mark.column, field: "",
                               message: "is not valid YAML: \(what)")
        default:
            return ConfigIssue(file: file, field: "", message: "is not valid YAML: \(error)")
        }
    }

    // MARK: Recording problems

    func report(_ node: Node?, _ field: String, _ message: String) {
        issues.append(ConfigIssue(file: file, line: node?.mark?.line, column: node?.mark?.column,
                                  field: field, message: message))
    }

    /// Records a problem found after parsing, when only a line is known.
    func reportAt(line: Int?, field: String, message: String) {
        issues.append(ConfigIssue(file: file, line: line, field: field, message: message))
    }

    // MARK: Typed access

    /// The node as a mapping with scalar keys; records a problem otherwise.
    func mapping(_ node: Node, at field: String) -> Mapping? {
        switch node {
        case .mapping(let map):
            var entries: [Entry] = []
            var seen = Set<String>()
            for (key, value) in map {
                guard case .scalar(let scalar) = key else {
                    report(key, field, "keys must be plain strings")
                    continue
                }
                if !seen.insert(scalar.string).inserted {
                    report(key, field.isEmpty ? scalar.string : "\(field).\(scalar.string)", "is given twice")
                    continue
                }
                if case .alias = value {
                    report(value, field, "YAML aliases are not supported here; write the value out")
                    continue
                }
                entries.append(Entry(key: scalar.string, keyNode: key, value: value))
            }
            return Mapping(field: field, node: node, entries: entries)
        default:
            report(node, field, "must be a mapping (key: value lines), found \(kind(of: node))")
            return nil
        }
    }

    /// The node as a sequence; records a problem otherwise.
    func sequence(_ node: Node, at field: String) -> [Node]? {
        if case .sequence(let seq) = node { return Array(seq) }
        report(node, field, "must be a list, found \(kind(of: node))")
        return nil
    }

    /// The node as a scalar's text; records a problem otherwise.
    func scalar(_ node: Node, at field: String) -> String? {
        if case .scalar(let scalar) = node { return scalar.string }
        report(node, field, "must be a single value, found \(kind(of: node))")
        return nil
    }

    /// Records every key of `map` that is not in `allowed`, naming the allowed ones.
    func rejectUnknownKeys(_ map: Mapping, allowed: [String]) {
        for entry in map.entries where !allowed.contains(entry.key) {
            report(entry.keyNode, map.path(entry.key),
                   "is not a known field; expected one of: \(allowed.joined(separator: ", "))")
        }
    }

    /// A required or optional string field.
    func string(_ map: Mapping, _ key: String, required: Bool = false) -> String? {
        guard let node = map[key] else {
            if required { report(map.node, map.path(key), "is required") }
            return nil
        }
        guard let text = scalar(node, at: map.path(key)) else { return nil }
        if text.isEmpty && required { report(node, map.path(key), "must not be empty") }
        return text
    }

    /// An integer field within `range`.
    func integer(_ map: Mapping, _ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let node = map[key], let text = scalar(node, at: map.path(key)) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            report(node, map.path(key), "must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
            return nil
        }
        return value
    }

    /// A boolean field (`true`/`false`, `yes`/`no`).
    func boolean(_ map: Mapping, _ key: String) -> Bool? {
        guard let node = map[key], let text = scalar(node, at: map.path(key)) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            report(node, map.path(key), "must be true or false, got '\(text)'")
            return nil
        }
    }

    /// A duration field such as `10s` or `500ms`.
    func duration(_ map: Mapping, _ key: String) -> Duration? {
        guard let node = map[key], let text = scalar(node, at: map.path(key)) else { return nil }
        guard let value = DurationText.parse(text) else {
            report(node, map.path(key), "must be a duration such as 10s, 500ms or 2m, got '\(text)'")
            return nil
        }
        return value
    }

    /// A list of strings (a single string is also accepted as a one-item list).
    func stringList(_ node: Node, at field: String) -> [(String, Node)]? {
        if case .scalar(let scalar) = node { return [(scalar.string, node)] }
        guard let items = sequence(node, at: field) else { return nil }
        var result: [(String, Node)] = []
        for (index, item) in items.enumerated() {
            if let text = scalar(item, at: "\(field)[\(index)]") { result.append((text, item)) }
        }
        return result
    }

    private func kind(of node: Node) -> String {
        switch node {
        case .scalar(let s): return s.string.isEmpty ? "an empty value" : "'\(s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}
