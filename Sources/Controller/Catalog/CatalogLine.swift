import Foundation
import Shared

/// A release version as `VERSION` holds it (`3.12.3`, `v3.7.4`, `3.9.0-standin`): the numbers
/// before the first character that is neither a digit nor a dot. Compared numerically.
public struct ReleaseVersion: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var numbers: [Int]
    public var text: String

    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let body = trimmed.hasPrefix("v") || trimmed.hasPrefix("V") ? String(trimmed.dropFirst()) : trimmed
        let lead = body.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let numbers = lead.split(separator: ".").compactMap { Int($0) }
        guard !numbers.isEmpty, !lead.hasPrefix(".") else { return nil }
        self.numbers = numbers
        self.text = trimmed
    }

    public var description: String { text }

    /// `self` cut (or padded with zeros) to `count` numbers: `3.3.8` is `3.3` at two.
    func truncated(to count: Int) -> [Int] {
        Array((numbers + Array(repeating: 0, count: max(0, count - numbers.count))).prefix(count))
    }

    public static func < (lhs: ReleaseVersion, rhs: ReleaseVersion) -> Bool {
        let count = max(lhs.numbers.count, rhs.numbers.count)
        return lhs.truncated(to: count).lexicographicallyPrecedes(rhs.truncated(to: count))
    }
}

/// Which releases a catalog describes (`applies_to` in the catalog): a range of versions, each
/// bound as precise as it is written (`<=3.3` takes 3.3.8), and a deployment mode.
public struct CatalogLine: Sendable, Equatable {
    /// Lowest version, inclusive; nil for no bound.
    public var from: [Int]?
    /// Highest version, inclusive at the bound's precision; nil for no bound.
    public var through: [Int]?
    /// `stable` (every service on its own) or `lite` (job-assemble).
    public var mode: String
    /// The range as written, for messages.
    public var text: String

    /// Parses `<=3.3`, `>=3.8`, `3.4-3.7` or a single `3.7`.
    public static func parse(_ text: String, mode: String) -> CatalogLine? {
        func numbers(_ part: Substring) -> [Int]? {
            let items = part.trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false)
            let values = items.compactMap { Int($0) }
            return values.count == items.count && !values.isEmpty ? values : nil
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("<=") {
            guard let bound = numbers(trimmed.dropFirst(2)) else { return nil }
            return CatalogLine(from: nil, through: bound, mode: mode, text: trimmed)
        }
        if trimmed.hasPrefix(">=") {
            guard let bound = numbers(trimmed.dropFirst(2)) else { return nil }
            return CatalogLine(from: bound, through: nil, mode: mode, text: trimmed)
        }
        let parts = trimmed.split(separator: "-", maxSplits: 1)
        guard let low = parts.first.flatMap(numbers) else { return nil }
        guard parts.count == 2 else { return CatalogLine(from: low, through: low, mode: mode, text: trimmed) }
        guard let high = numbers(parts[1]) else { return nil }
        return CatalogLine(from: low, through: high, mode: mode, text: trimmed)
    }

    /// True when `version` (in `mode`) is one this catalog describes.
    public func covers(_ version: ReleaseVersion, mode: String) -> Bool {
        guard mode == self.mode else { return false }
        if let from, version.truncated(to: from.count).lexicographicallyPrecedes(from) { return false }
        if let through, through.lexicographicallyPrecedes(version.truncated(to: through.count)) { return false }
        return true
    }
}

extension ServiceCatalog {
    /// The catalog for a release: `path` itself when it is a file; when it is a directory of
    /// catalogs (`deploy/bk-job/catalogs`), the one whose `applies_to` covers `version` in
    /// `mode`. Exactly one must; the error says which lines the directory has.
    public static func load(path: String, version: String?, mode: String, manifest: String) throws -> ServiceCatalog {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return try load(path: path)
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        let catalogs = try names.map { try load(path: "\(path)/\($0)") }
        let lines = catalogs.compactMap { catalog in catalog.line.map { "\($0.text) \($0.mode) (\((catalog.path as NSString).lastPathComponent))" } }
        func refuse(_ message: String) -> ConfigError {
            ConfigError(issues: [ConfigIssue(file: manifest, field: "catalog", message: message)])
        }
        guard let text = version else {
            throw refuse("is the directory \(path), which holds one catalog per version line, but the release has no VERSION file to choose by; name one catalog file instead")
        }
        guard let parsed = ReleaseVersion(text) else {
            throw refuse("cannot choose a catalog in \(path): the release's VERSION '\(text)' is not a version number; name one catalog file instead")
        }
        let matching = catalogs.filter { $0.line?.covers(parsed, mode: mode) ?? false }
        guard matching.count == 1 else {
            let what = matching.isEmpty ? "none of the catalogs in \(path) covers" : "several catalogs in \(path) cover"
            throw refuse("\(what) release \(text) in mode \(mode); lines there: \(lines.joined(separator: ", "))")
        }
        return matching[0]
    }
}
