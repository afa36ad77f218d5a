import Foundation
import Testing
@testable import Controller

@Suite("Release tarballs that are refused")
struct TarballRefusalTests {
    /// A release with one bad member (or a bad stream), and what the refusal says after
    /// `release.dir: TARBALL: `.
    static let cases: [String: (archive: @Sendable () throws -> [UInt8], message: String)] = [
        "absolute path": (archive { $0.file("/etc/evil", "x") }, "member '/etc/evil' is refused: it has an absolute path"),
        "'..' component": (archive { $0.file("job/../../evil", "x") }, "member 'job/../../evil' is refused: its path has a '..' component"),
        "outside job/": (archive { $0.file("other/file", "x") },
                         "member 'other/file' is refused: it is outside the single top-level job/ folder a bk-job release holds"),
        "symlink to an absolute path": (archive { $0.add("job/etc", type: "2", link: "/etc") },
                                        "member 'job/etc' is refused: it is a symlink to the absolute path '/etc'"),
        "symlink leaving the root": (archive { $0.add("job/up", type: "2", link: "../..") },
                                     "member 'job/up' is refused: it is a symlink to '../..', which leaves the release root job/"),
        "symlink leaving through another": (archive {
            $0.add("job/here", type: "2", link: ".")
            $0.add("job/out", type: "2", link: "here/..")
        }, "member 'job/out' is refused: it is a symlink to 'here/..', which leads out of the release root job/ through the symlinks the archive holds"),
        "member through a symlink": (archive {
            $0.add("job/lib", type: "2", link: "backend")
            $0.file("job/lib/x.jar", "x")
        }, "member 'job/lib/x.jar' is refused: 'job/lib' is a symlink in the archive; members are never written through one"),
        "hard link": (archive { $0.add("job/backend/copy", type: "1", link: "job/VERSION") },
                      "member 'job/backend/copy' is refused: it is a hard link (to 'job/VERSION'); hard links are not unpacked"),
        "character device": (archive { $0.add("job/tty", type: "3") }, "member 'job/tty' is refused: it is a character device"),
        "block device": (archive { $0.add("job/sda", type: "4") }, "member 'job/sda' is refused: it is a block device"),
        "FIFO": (archive { $0.add("job/pipe", type: "6") }, "member 'job/pipe' is refused: it is a FIFO"),
        "unknown type": (archive { $0.add("job/sparse", type: "S") },
                         "member 'job/sparse' is refused: its type 'S' is not a file, folder or symlink"),
        "huge size": (archive { $0.add("job/backend/huge.jar", sizeField: "50000000000") },
                      "member 'job/backend/huge.jar' is refused: it is 5.0 GiB, more than the 4.0 GiB one member may have"),
        "file replacing a folder": (archive { $0.file("job/backend", "x") },
                                    "member 'job/backend' is refused: it would replace the folder 'job/backend' by a file or symlink"),
        "folder replacing a file": (archive { $0.directory("job/VERSION/") },
                                    "member 'job/VERSION/' is refused: it would replace the file or symlink 'job/VERSION' by a folder"),
        "a path twice": (archive { $0.file("job/VERSION", "4.0.0\n") }, "member 'job/VERSION' is refused: 'job/VERSION' appears twice in the archive"),
        "pax path with '..'": (archive {
            $0.pax([("path", "job/../x")])
            $0.file("job/innocent", "x")
        }, "member 'job/../x' is refused: its path has a '..' component"),
        "GNU long name outside job/": (archive {
            $0.longName("elsewhere/" + String(repeating: "n", count: 120))
            $0.file("././@LongLink", "x")
        }, "member 'elsewhere/\(String(repeating: "n", count: 120))' is refused: it is outside the single top-level job/ folder"),
        "not a release": ({
            var tar = TarBuilder()
            tar.directory("job/")
            tar.file("job/README", "hello")
            tar.end()
            return try tar.gzipped()
        }, "is not a bk-job release: it has no job/VERSION file and no job/backend/ folder; expected upstream's job_ce-<version>.tgz"),
        "stream ending inside a member": ({
            var tar = TarBuilder()
            tar.release()
            tar.add("job/backend/a.jar", data: [UInt8](repeating: 7, count: 2000))
            return try TarBuilder.gzip(Array(tar.bytes.dropLast(1500)))
        }, "is truncated: the archive ends inside member 'job/backend/a.jar', 1452 of its bytes missing; copy the tarball again"),
        "stream without its end": ({
            var tar = TarBuilder()
            tar.release()
            return try tar.gzipped()
        }, "is truncated: the archive ends without its end-of-archive block"),
        "bad header checksum": (archive { $0.add("job/backend/a.jar", data: [1, 2, 3], checksumDelta: 1) },
                                "is damaged: the header at byte 2048 (named 'job/backend/a.jar') has checksum"),
        "corrupt gzip": ({
            var gzipped = try archive { _ in }()
            gzipped[gzipped.count - 8] ^= 0xff
            return gzipped
        }, "is not a valid gzip file: gzip -dc failed (invalid compressed data--crc error); copy the tarball again"),
        "truncated gzip": ({
            let gzipped = try archive { $0.add("job/backend/a.jar", data: (0..<65536).map { _ in UInt8.random(in: 0...255) }) }()
            return Array(gzipped.prefix(gzipped.count / 2))
        }, "is not a valid gzip file: gzip -dc failed (unexpected end of file)"),
        "gzip of something else": ({ try TarBuilder.gzip(Array(String(repeating: "not a tar\n", count: 100).utf8)) },
                                   "is not a tar archive, or is damaged: the header at byte 0"),
    ]

    /// A gzipped release (`job/`, `job/VERSION`, `job/backend/`) with `bad` added before its end.
    static func archive(_ bad: @escaping @Sendable (inout TarBuilder) -> Void) -> @Sendable () throws -> [UInt8] {
        {
            var tar = TarBuilder()
            tar.release()
            bad(&tar)
            tar.end()
            return try tar.gzipped()
        }
    }

    @Test("refused with the tarball and the member named; no cache entry, no partial folder, nothing outside the cache",
          arguments: cases.keys.sorted())
    func refused(name: String) throws {
        let fixture = try ReleaseFixture()
        let (archive, message) = try #require(Self.cases[name])
        let tarball = try fixture.write("job_ce-9.9.9.tgz", try archive())
        let error = try #require(#expect(throws: ConfigError.self) { try fixture.resolve(tarball) })
        #expect(error.issues.count == 1)
        #expect(error.issues.first?.field == "release.dir")
        #expect(error.description.hasPrefix("\(fixture.dir)/fleet.yaml:7: release.dir: \(tarball): \(message)"), "\(error)")
        #expect(fixture.cacheEntries == [])
        #expect(fixture.outsideCache == ["job_ce-9.9.9.tgz"])
    }
}
