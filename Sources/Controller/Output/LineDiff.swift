/// A line diff of two small texts (rendered configuration files), for `plan`.
public enum LineDiff {
    public enum Line: Equatable, Sendable {
        case same(String)
        case removed(String)
        case added(String)
    }

    /// The edit script turning `old` into `new`, by longest common subsequence.
    public static func diff(_ old: [String], _ new: [String]) -> [Line] {
        let n = old.count, m = new.count
        // Files past a few thousand lines are not configuration: show them as replaced.
        guard n * m <= 4_000_000 else { return old.map(Line.removed) + new.map(Line.added) }
        var lcs = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = old[i] == new[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var result: [Line] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, old[i] == new[j] {
                result.append(.same(old[i])); i += 1; j += 1
            } else if i < n, j == m || lcs[i + 1][j] >= lcs[i][j + 1] {
                // Removed lines first, as a unified diff shows them.
                result.append(.removed(old[i])); i += 1
            } else {
                result.append(.added(new[j])); j += 1
            }
        }
        return result
    }

    /// Changed lines with `context` unchanged lines around them, as `-`/`+`/` ` prefixed text.
    public static func hunks(_ lines: [Line], context: Int = 1) -> [String] {
        let changed = lines.indices.filter { if case .same = lines[$0] { return false } else { return true } }
        var keep = Set<Int>()
        for index in changed {
            for k in max(0, index - context)...min(lines.count - 1, index + context) { keep.insert(k) }
        }
        var out: [String] = []
        var previous: Int?
        for index in keep.sorted() {
            if let previous, index > previous + 1 { out.append("  …") }
            switch lines[index] {
            case .same(let text): out.append("  \(text)")
            case .removed(let text): out.append("- \(text)")
            case .added(let text): out.append("+ \(text)")
            }
            previous = index
        }
        return out
    }
}
