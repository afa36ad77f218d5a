import Foundation

/// Finds the release `release.dir` names: the release root itself (a folder holding `VERSION`
/// and/or `backend/`), a folder holding one `job/` release root (an unpacked tarball), or
/// upstream's tarball (`job_ce-<version>.tgz`, `job_ee-…`, `.tar.gz`; recognised as gzip by its
/// first bytes), which is unpacked once into the `ReleaseCache`.
public enum ReleaseSource {
    /// Resolves `release.dir` of the manifest at `manifestPath` and reads the release's VERSION.
    /// A tarball is hashed through `checksums` (which is saved) and unpacked into `cache` unless
    /// its entry exists. Every problem is a `ConfigError` on `release.dir` naming the folder or
    /// tarball, and for a refused archive the member.
    public static func resolve(_ release: FleetManifest.Release, manifestPath: String,
                               checksums: ChecksumCache = ChecksumCache(file: ChecksumCache.defaultFile),
                               cache: ReleaseCache = ReleaseCache()) throws -> ResolvedRelease {
        do {
            return try locate(release.dir, checksums: checksums, cache: cache)
        } catch let problem as ReleaseProblem {
            throw ConfigError(issues: [ConfigIssue(file: manifestPath, line: release.dirLine, field: "release.dir",
                                                   message: "\(release.dir): \(problem.message)")])
        } catch {
            // A checksum that cannot be computed, or anything else unforeseen, still names the field.
            throw ConfigError(issues: [ConfigIssue(file: manifestPath, line: release.dirLine, field: "release.dir",
                                                   message: "\(release.dir): \(error)")])
        }
    }

    static func locate(_ path: String, checksums: ChecksumCache, cache: ReleaseCache) throws -> ResolvedRelease {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = errno == ENOENT ? "does not exist" : "cannot be read (\(String(cString: strerror(errno))))"
            throw ReleaseProblem("\(reason): name upstream's release tarball (job_ce-<version>.tgz) or the folder it unpacks to")
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            if isRoot(path) { return ResolvedRelease(root: path, version: try version(in: path)) }
            let nested = "\(path)/\(UnpackPolicy.top)"
            if isRoot(nested) { return ResolvedRelease(root: nested, version: try version(in: nested)) }
            throw ReleaseProblem("is not a bk-job release: expected VERSION or backend/ in it, or a \(UnpackPolicy.top)/ folder holding them (the unpacked job_ce-<version>.tgz)")
        case S_IFREG:
            let tarball = try ReleaseTarball(path: path)
            let (sha256, _) = try checksums.sha256(of: path)
            checksums.save()
            try tarball.checkUnchanged()
            let entry = try cache.entry(sha256: sha256) { try tarball.unpack(into: $0) }
            let root = "\(entry)/\(UnpackPolicy.top)"
            return ResolvedRelease(root: root, version: try version(in: root), tarball: path, sha256: sha256)
        default:
            throw ReleaseProblem("is neither a folder nor a file: name upstream's release tarball (job_ce-<version>.tgz) or the folder it unpacks to")
        }
    }

    /// A folder is a release root when it holds `VERSION` or `backend/`.
    static func isRoot(_ dir: String) -> Bool {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "\(dir)/backend", isDirectory: &isDirectory), isDirectory.boolValue { return true }
        return FileManager.default.fileExists(atPath: "\(dir)/VERSION", isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// The first line of `root/VERSION`, trimmed; nil without the file or when it is empty.
    /// It is printed and recorded, so it must be short printable text.
    static func version(in root: String) throws(ReleaseProblem) -> String? {
        let path = "\(root)/VERSION"
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4096)) ?? nil
        let bytes = head.map { [UInt8]($0) } ?? []
        let line = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).first ?? []
        guard let text = String(validating: line, as: UTF8.self) else {
            throw ReleaseProblem("has a VERSION whose first line is not UTF-8 text")
        }
        let version = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard version.count <= 100, !version.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ReleaseProblem("has a VERSION whose first line is not a version (over 100 characters, or control characters)")
        }
        return version.isEmpty ? nil : version
    }
}
