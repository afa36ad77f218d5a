import Shared

/// The diff `plan` shows for a managed file, with no secret in it on either side.
///
/// The new side is what jobfleet renders: a line rendered from a template line holding a secret
/// placeholder is shown only as `<secret changed>`. The old side is whatever the host has, so
/// each of its lines is judged against the whole template, not by where the diff happens to
/// put it: a line that fits a secret template line is that setting's old value and is hidden
/// like the new one; in a rendered file, a line that fits no template line is something only
/// the host has (a hand-installed setting, a commented-out password) and is hidden as
/// `hostOnly`. A removed line that sets a key whose name says secret, holds a value the mask
/// hides, or stands in the same change as a secret line is hidden too. What remains passes
/// through the mask as well.
enum SecretDiff {
    static let changed = "<secret changed>"
    static let unchanged = "<secret>"
    static let hostOnly = "<host line hidden: not from the template>"

    /// The hunks of the diff from `old` (the host's file) to `new` (rendered from `template`'s
    /// lines, of which `secretLines` hold a secret placeholder; no template for a file copied
    /// from the release).
    static func hunks(old: String, new: String, secretLines: Set<Int>, template: [String] = [], mask: SecretMask) -> [String] {
        let shape = Shape(template: template, secretLines: secretLines)
        let diff = LineDiff.diff(lines(old), lines(new))
        var hidden = [String?](repeating: nil, count: diff.count)
        var newIndex = 0
        for (index, line) in diff.enumerated() {
            switch line {
            case .same(let text):
                if secretLines.contains(newIndex) || mask.reveals(text) { hidden[index] = unchanged }
                newIndex += 1
            case .added(let text):
                if secretLines.contains(newIndex) || mask.reveals(text) { hidden[index] = changed }
                newIndex += 1
            case .removed(let text):
                if setsSecretKey(text) || mask.reveals(text) || shape.isSecret(text) {
                    hidden[index] = changed
                } else if shape.isForeign(text) {
                    hidden[index] = hostOnly
                }
            }
        }
        // In a change block (consecutive removed and added lines) that adds a secret line, what
        // it removes is the old value of the same setting. When the block removes as many lines
        // as it adds, the k-th removed line stands for the k-th added one; otherwise every
        // removed line is hidden.
        var start = 0
        while start < diff.count {
            guard diff[start].isChange else { start += 1; continue }
            var end = start
            while end < diff.count, diff[end].isChange { end += 1 }
            let removed = (start..<end).filter { !diff[$0].isAdded }
            let added = (start..<end).filter { diff[$0].isAdded }
            if added.contains(where: { hidden[$0] != nil }) {
                for (k, index) in removed.enumerated() where hidden[index] == nil {
                    if removed.count != added.count || hidden[added[k]] != nil { hidden[index] = changed }
                }
            }
            start = end
        }
        let shown: [LineDiff.Line] = diff.enumerated().map { index, line in
            switch line {
            case .same(let text): .same(hidden[index] ?? text)
            case .added(let text): .added(hidden[index] ?? text)
            case .removed(let text): .removed(hidden[index] ?? text)
            }
        }
        return LineDiff.hunks(shown).map { mask($0) }
    }

    /// True when a configuration line (YAML `key: value` or properties `key=value`) sets a key
    /// whose last part names a secret.
    static func setsSecretKey(_ line: String) -> Bool {
        guard let match = line.firstMatch(of: settingKey) else { return false }
        let key = String(match.output.1).uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
        return Secrets.isSecret(String(key))
    }

    /// The key of a `key: value` or `key=value` line, with a value after it.
    nonisolated(unsafe) static let settingKey = /^\s*-?\s*["']?([A-Za-z0-9_.\-]+)["']?\s*[:=]\s*\S/

    private static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// A template's lines, split into those that hold a secret and the others, to place a
    /// host's line among them.
    struct Shape {
        var secret: [TemplateLine] = []
        var known: [TemplateLine] = []

        init(template: [String], secretLines: Set<Int>) {
            for (index, line) in template.enumerated() {
                let pattern = TemplateLine(line)
                if secretLines.contains(index) {
                    secret.append(pattern)
                } else if pattern.hasFixedText {
                    known.append(pattern)
                }
            }
        }

        /// True when `line` fits a template line that holds a secret: it is that setting.
        func isSecret(_ line: String) -> Bool { secret.contains { $0.fits(line) } }

        /// True when the file has a template and `line` (not blank) fits none of its lines.
        func isForeign(_ line: String) -> Bool {
            guard !secret.isEmpty || !known.isEmpty, !line.trimmingWhitespace().isEmpty else { return false }
            return !known.contains { $0.fits(line) } && !isSecret(line)
        }
    }
}

extension LineDiff.Line {
    var isChange: Bool { if case .same = self { false } else { true } }
    var isAdded: Bool { if case .added = self { true } else { false } }
}
