import Foundation
import Testing
@testable import Controller

/// A scratch folder with a release cache in it, for resolving releases without touching the
/// operator's own cache.
struct ReleaseFixture {
    let dir: String
    let cache: ReleaseCache

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-release-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        cache = ReleaseCache(directory: "\(dir)/cache")
    }

    /// Writes `bytes` to `name` in the scratch folder; returns its path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8], mode: Int = 0o644) throws -> String {
        let path = "\(dir)/\(name)"
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    /// Upstream's layout under `src/job/`, packed by the system tar as `job_ce-<version>.tgz`.
    func upstreamTarball(version: String = "3.12.3", format: String = "pax") throws -> String {
        try write("src/job/VERSION", Array("\(version)\n".utf8), mode: 0o600)
        try write("src/job/backend/job-manage/job-manage.jar", Array("jar of job-manage".utf8), mode: 0o600)
        try write("src/job/backend/job-manage/bin/job-manage.sh", Array("#!/bin/sh\n".utf8), mode: 0o700)
        try write("src/job/support-files/templates/#etc#job#application-manage.yml", Array("port: __PORT__\n".utf8))
        try write("src/job/frontend/index.html", Array("<html></html>\n".utf8))
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/src/job/frontend/home.html", withDestinationPath: "index.html")
        let tarball = "\(dir)/job_ce-\(version).tgz"
        try TarBuilder.run("/usr/bin/tar", ["--format=\(format)", "-czf", tarball, "-C", "\(dir)/src", "job"])
        return tarball
    }

    /// `release.dir: path` resolved as the manifest at `dir/fleet.yaml`, line 7, would have it.
    func resolve(_ path: String, checksums: ChecksumCache = ChecksumCache()) throws -> ResolvedRelease {
        try ReleaseSource.resolve(FleetManifest.Release(dir: path, dirLine: 7), manifestPath: "\(dir)/fleet.yaml",
                                  checksums: checksums, cache: cache)
    }

    /// Names in the cache folder, hidden ones (partial unpacks) included.
    var cacheEntries: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cache.directory)) ?? []).sorted()
    }

    /// Every path under the scratch folder except the cache, for checking that nothing was
    /// written outside it.
    var outsideCache: [String] {
        let all = (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String]) ?? []
        return all.filter { !$0.hasPrefix("cache") }.sorted()
    }

    /// Permission bits of `path` (not following a symlink).
    static func mode(_ path: String) -> Int {
        var info = stat()
        lstat(path, &info)
        return Int(info.st_mode & 0o7777)
    }
}
