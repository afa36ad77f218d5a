/// The diff `plan` shows for a managed file, with no secret in it on either side.
///
/// The new side knows its secret lines: those rendered from a template line holding a secret
/// placeholder. The old side is whatever the host has, so it is judged by what it says: a
/// removed line in the same change as a secret line, a line setting a key whose name says
/// secret (`password: …`, `secure-key=…`), or a line holding a value the mask hides is shown as
/// `<secret changed>`, never as text. What remains passes through the mask as well.
enum SecretDiff {
    static let changed = "<secret changed>"
    static let unchanged = "<secret>"

    static func hunks(old: String, new: String, secretLines: Set<Int>, mask: SecretMask) -> [String] {
        let diff = LineDiff.diff(lines(old), lines(new))
        var secret = [Bool](repeating: false, count: diff.count)
        var newIndex = 0
        for (index, line) in diff.enumerated() {
            switch line {
            case .same(let text), .added(let text):
                secret[index] = secretLines.contains(newIndex) || mask.reveals(text)
                newIndex += 1
            case .removed(let text):
                secret[index] = setsSecretKey(text) || mask.reveals(text)
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
            if added.contains(where: { secret[$0] }) {
                for (k, index) in removed.enumerated() {
                    secret[index] = secret[index] || removed.count != added.count || secret[added[k]]
                }
            }
            start = end
        }
        let shown: [LineDiff.Line] = diff.enumerated().map { index, line in
            switch line {
            case .same(let text): .same(secret[index] ? unchanged : text)
            case .added(let text): .added(secret[index] ? changed : text)
            case .removed(let text): .removed(secret[index] ? changed : text)
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
}

extension LineDiff.Line {
    var isChange: Bool { if case .same = self { false } else { true } }
    var isAdded: Bool { if case .added = self { true } else { false } }
}
