import Shared

/// The Java a release line runs on, as the catalog states it (`java_runtime`):
///
/// ```yaml
/// java_runtime:
///   - { versions: "3.8-3.11", major: 8, accepts: [8, 11, 17] }
///   - { versions: ">=3.12", major: 17 }
/// ```
///
/// `major` is what upstream builds and ships the line for; `accepts` the majors a host may
/// have for the fleet to deploy it (default: `major` alone). Entries without `versions` cover
/// the whole catalog; the first entry that covers the release's version applies.
public struct JavaRuntime: Sendable, Equatable {
    /// The versions this entry covers; nil for every version the catalog covers.
    public var versions: CatalogLine?
    /// The Java major upstream runs the line on.
    public var major: Int
    /// The majors a host may run it on.
    public var accepts: [Int]
    /// The entry's line in the catalog, for messages.
    public var line: Int?

    public init(versions: CatalogLine? = nil, major: Int, accepts: [Int]? = nil, line: Int? = nil) {
        self.versions = versions
        self.major = major
        self.accepts = accepts ?? [major]
        self.line = line
    }

    /// Whether a host whose java is `found` (a `java -version` string) may run the line; nil
    /// when it may, else what is wrong, in words for the operator.
    public func problem(found version: String?) -> String? {
        guard let version else { return "no java found" }
        guard let found = JavaMajor.of(version) else { return "java reports version '\(version)', which is not a version number" }
        return accepts.contains(found) ? nil : "java \(version) is Java \(found)"
    }

    /// What the line needs, for messages: `Java 8 (accepted: 8, 11, 17)` or `Java 17`.
    public var needs: String {
        accepts == [major] ? "Java \(major)" : "Java \(major) (accepted: \(accepts.map(String.init).joined(separator: ", ")))"
    }
}

extension ServiceCatalog {
    /// The Java entry for release `version`: the first whose `versions` covers it, or that has
    /// none. nil when the catalog states no Java, or no entry covers the version (a release
    /// without VERSION matches only an entry without `versions`).
    public func javaRuntime(for version: String?) -> JavaRuntime? {
        let parsed = version.flatMap(ReleaseVersion.init)
        return javaRuntimes.first { runtime in
            guard let range = runtime.versions else { return true }
            guard let parsed else { return false }
            return range.covers(parsed, mode: range.mode)
        }
    }

    static func parseJavaRuntimes(_ top: YAMLReader.Mapping, into catalog: inout ServiceCatalog, reader: YAMLReader) {
        guard let node = top["java_runtime"], let items = reader.sequence(node, at: "java_runtime") else { return }
        for (index, item) in items.enumerated() {
            let field = "java_runtime[\(index)]"
            guard let map = reader.mapping(item, at: field) else { continue }
            reader.rejectUnknownKeys(map, allowed: ["versions", "major", "accepts"])
            var versions: CatalogLine?
            if let text = reader.string(map, "versions") {
                versions = CatalogLine.parse(text, mode: "any")
                if versions == nil { reader.report(map["versions"], map.path("versions"), "must look like <=3.11, 3.8-3.11 or >=3.12, got '\(text)'") }
            }
            guard let major = reader.integer(map, "major", in: 1...99) else {
                if map["major"] == nil { reader.report(item, map.path("major"), "is required: the Java major the line runs on") }
                continue
            }
            var accepts: [Int]?
            if let node = map["accepts"], let list = reader.sequence(node, at: map.path("accepts")) {
                accepts = []
                for (position, entry) in list.enumerated() {
                    if case .scalar(let scalar) = entry, let value = Int(scalar.string), (1...99).contains(value) {
                        accepts?.append(value)
                    } else {
                        reader.report(entry, map.path("accepts[\(position)]"), "must be a Java major such as 17")
                    }
                }
                if accepts?.contains(major) == false {
                    reader.report(node, map.path("accepts"), "must include major (\(major))")
                }
            }
            catalog.javaRuntimes.append(JavaRuntime(versions: versions, major: major, accepts: accepts, line: item.mark?.line))
        }
    }
}
