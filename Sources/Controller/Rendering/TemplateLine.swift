import Shared

/// One line of a template as the set of lines it can render to: the text around its
/// placeholders is fixed, each placeholder stands for any text. `plan` uses it to tell which
/// setting a line of a host's existing file is, whatever order the host file has and whether
/// or not jobfleet wrote it.
struct TemplateLine: Sendable, Equatable {
    /// The fixed text between placeholders (one more than there are placeholders), with the
    /// line's leading and trailing white space left out: a hand-installed file may indent
    /// differently.
    let parts: [String]

    init(_ line: String) {
        parts = line.trimmingWhitespace()
            .split(separator: Template.pattern, omittingEmptySubsequences: false)
            .map(String.init)
    }

    /// True when the line holds a placeholder.
    var hasPlaceholder: Bool { parts.count > 1 }

    /// True when the line fixes some text besides white space. A line that is only a
    /// placeholder fits any line, so it cannot vouch for one.
    var hasFixedText: Bool { parts.contains { !$0.trimmingWhitespace().isEmpty } }

    /// True when `line` is something this template line renders to.
    func fits(_ line: String) -> Bool {
        let text = line.trimmingWhitespace()
        guard hasPlaceholder else { return text == parts[0] }
        guard let first = parts.first, let last = parts.last,
              text.count >= first.count + last.count, text.hasPrefix(first), text.hasSuffix(last) else { return false }
        // The middle parts in order, each as early as it can be: if any placement fits, this does.
        var rest = text.dropFirst(first.count).dropLast(last.count)
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let found = rest.firstRange(of: part) else { return false }
            rest = rest[found.upperBound...]
        }
        return true
    }
}
