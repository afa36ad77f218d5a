import Foundation
import Shared
import Testing
@testable import Controller

@Suite("Finding the release: tarball or folder")
struct ReleaseSourceTests {
    @Test("upstream's tarball is unpacked into the cache under its sha256, with its files, modes and VERSION")
    func tarball() throws {
        let fixture = try ReleaseFixture()
        let tarball = try fixture.upstreamTarball()
        let release = try fixture.resolve(tarball)
        let sha = try Checksum.sha256(fileAt: tarball)
        #expect(release == ResolvedRelease(root: "\(fixture.cache.directory)/\(sha)/job", version: "3.12.3",
                                           tarball: tarball, sha256: sha))
        #expect(release.label == "release 3.12.3 (job_ce-3.12.3.tgz, sha256 \(sha.prefix(8))…)")
        #expect(fixture.cacheEntries == [sha])
        let root = release.root
        #expect(try String(contentsOfFile: "\(root)/backend/job-manage/job-manage.jar", encoding: .utf8) == "jar of job-manage")
        #expect(try String(contentsOfFile: "\(root)/support-files/templates/#etc#job#application-manage.yml", encoding: .utf8)
                == "port: __PORT__\n")
        #expect(ReleaseFixture.mode("\(root)/VERSION") == 0o644)
        #expect(ReleaseFixture.mode("\(root)/backend/job-manage/job-manage.jar") == 0o644)
        #expect(ReleaseFixture.mode("\(root)/backend/job-manage/bin/job-manage.sh") == 0o755)
        #expect(ReleaseFixture.mode("\(root)/backend/job-manage") == 0o755)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(root)/frontend/home.html") == "index.html")
    }

    @Test("a second load finds the entry and unpacks nothing", arguments: ["pax", "ustar", "gnu"])
    func reuse(format: String) throws {
        let fixture = try ReleaseFixture()
        let tarball = try fixture.upstreamTarball(format: format)
        let checksums = ChecksumCache(file: "\(fixture.dir)/sha256.json")
        let first = try fixture.resolve(tarball, checksums: checksums)
        // Anything added to the entry would be gone had it been unpacked again.
        let marker = "\(first.root)/marker"
        #expect(FileManager.default.createFile(atPath: marker, contents: Data()))
        let second = try fixture.resolve(tarball, checksums: ChecksumCache(file: "\(fixture.dir)/sha256.json"))
        #expect(second == first)
        #expect(FileManager.default.fileExists(atPath: marker))
        #expect(fixture.cacheEntries == [try #require(first.sha256)])
    }

    @Test("a folder that is the release root is used as it is, VERSION read when there is one")
    func releaseRoot() throws {
        let fixture = try ReleaseFixture()
        try fixture.write("rel/VERSION", Array("  3.9.0-rc.1 \nsecond line\n".utf8))
        try fixture.write("rel/backend/job-manage/job-manage.jar", [1])
        #expect(try fixture.resolve("\(fixture.dir)/rel") == ResolvedRelease(root: "\(fixture.dir)/rel", version: "3.9.0-rc.1"))
        try fixture.write("bare/backend/job-manage/job-manage.jar", [1])
        let bare = try fixture.resolve("\(fixture.dir)/bare")
        #expect(bare == ResolvedRelease(root: "\(fixture.dir)/bare", version: nil))
        #expect(bare.label == "release with no VERSION (\(fixture.dir)/bare)")
        #expect(fixture.cacheEntries.isEmpty)
    }

    @Test("a folder holding the unpacked tarball's job/ uses job/ as the root")
    func unpackedTarball() throws {
        let fixture = try ReleaseFixture()
        _ = try fixture.upstreamTarball()
        let release = try fixture.resolve("\(fixture.dir)/src")
        #expect(release == ResolvedRelease(root: "\(fixture.dir)/src/job", version: "3.12.3"))
        #expect(release.label == "release 3.12.3 (\(fixture.dir)/src/job)")
    }

    @Test("what is neither a release folder nor a gzip tarball is refused on release.dir with the manifest's line")
    func notARelease() throws {
        let fixture = try ReleaseFixture()
        try fixture.write("empty/README", [])
        try fixture.write("job_ce-3.12.3.tgz", Array("not gzip".utf8))
        let cases = [
            ("empty", "is not a bk-job release: expected VERSION or backend/ in it, or a job/ folder holding them"),
            ("missing", "does not exist"),
            ("job_ce-3.12.3.tgz", "is a file but not a gzip-compressed tarball"),
        ]
        for (name, message) in cases {
            let error = try #require(#expect(throws: ConfigError.self) { try fixture.resolve("\(fixture.dir)/\(name)") })
            #expect(error.description.hasPrefix("\(fixture.dir)/fleet.yaml:7: release.dir: \(fixture.dir)/\(name): \(message)"),
                    "\(error)")
        }
    }

    @Test("two loads unpacking the same tarball at once end with one good entry and no partial folder")
    func concurrent() async throws {
        let fixture = try ReleaseFixture()
        let tarball = try fixture.upstreamTarball()
        let results = try await withThrowingTaskGroup(of: ResolvedRelease.self) { group in
            for _ in 0..<2 { group.addTask { try fixture.resolve(tarball) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 2 && results[0] == results[1])
        #expect(fixture.cacheEntries == [try #require(results[0].sha256)])
        #expect(try String(contentsOfFile: "\(results[0].root)/VERSION", encoding: .utf8) == "3.12.3\n")
    }

    @Test("an unpack that loses the rename to another drops its partial folder and uses the winner's entry")
    func losingTheRename() throws {
        let fixture = try ReleaseFixture()
        let sha = String(repeating: "ab", count: 32)
        func fill(_ dir: String, _ text: String) throws {
            try FileManager.default.createDirectory(atPath: "\(dir)/job", withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: "\(dir)/job/VERSION"))
        }
        let entry = try fixture.cache.entry(sha256: sha) { partial in
            // Another process finishes its unpack while this one is still at it.
            _ = try fixture.cache.entry(sha256: sha) { try fill($0, "winner") }
            try fill(partial, "loser")
        }
        #expect(entry == "\(fixture.cache.directory)/\(sha)")
        #expect(try String(contentsOfFile: "\(entry)/job/VERSION", encoding: .utf8) == "winner")
        #expect(fixture.cacheEntries == [sha])
    }

    @Test("a partial folder left by a process that no longer runs is removed; one of a live process is left alone")
    func abandonedPartial() throws {
        let fixture = try ReleaseFixture()
        let tarball = try fixture.upstreamTarball()
        let sha = try Checksum.sha256(fileAt: tarball)
        let dead = ".\(sha).partial-2147483646-1"
        let live = ".\(sha).partial-\(getpid())-1"
        try fixture.write("cache/\(dead)/job/VERSION", [])
        try fixture.write("cache/\(live)/job/VERSION", [])
        _ = try fixture.resolve(tarball)
        #expect(fixture.cacheEntries == [live, sha])
    }
}
