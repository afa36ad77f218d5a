import Foundation
import Testing
@testable import Controller

/// Bytes in memory as a stream, handed out in small pieces so that members straddle reads.
final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - offset, 700)
        for index in 0..<count { buffer[index] = bytes[offset + index] }
        offset += count
        return count
    }
}

@Suite("Reading tar streams")
struct TarReaderTests {
    @Test("long names from pax records, GNU long-name records and the ustar prefix all land where they say")
    func longNames() throws {
        let deep = "job/backend/" + String(repeating: "d", count: 90) + "/"
        var tar = TarBuilder()
        tar.release()
        tar.pax([("path", deep + "pax.jar"), ("mtime", "1700000000.5"), ("uname", "builder")])
        tar.file("job/short-name", "from pax")
        tar.longName(deep + "gnu.jar")
        tar.file("././@LongLink", "from GNU")
        tar.add("prefixed.jar", data: Array("from prefix".utf8), prefix: String(deep.dropLast()))
        tar.pax([("linkpath", "../VERSION")])
        tar.add("job/backend/link", type: "2", link: "ignored")
        tar.end()
        let fixture = try ReleaseFixture()
        let release = try fixture.resolve(try fixture.write("job_ce-3.12.3.tgz", try tar.gzipped()))
        let dir = "\((release.root as NSString).deletingLastPathComponent)/\(deep)"
        #expect(try String(contentsOfFile: dir + "pax.jar", encoding: .utf8) == "from pax")
        #expect(try String(contentsOfFile: dir + "gnu.jar", encoding: .utf8) == "from GNU")
        #expect(try String(contentsOfFile: dir + "prefixed.jar", encoding: .utf8) == "from prefix")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(release.root)/backend/link") == "../VERSION")
        #expect(!FileManager.default.fileExists(atPath: "\(release.root)/short-name"))
    }

    @Test("a global pax header applies to every member after it")
    func globalRecords() throws {
        var tar = TarBuilder()
        tar.pax([("size", "3")], type: "g")
        tar.add("job/a", data: [1, 2, 3], sizeField: "0")
        tar.end()
        let reader = TarReader(MemorySource(tar.bytes))
        let member = try #require(try reader.next())
        #expect(member.path == "job/a" && member.size == 3)
        var data: [UInt8] = []
        try reader.readData { data += $0 }
        #expect(data == [1, 2, 3])
        #expect(try reader.next() == nil)
    }

    @Test("the member count and the total size are bounded", arguments: [
        (TarLimits(members: 2), "member 'job/c' is refused: the archive has more than 2 members"),
        (TarLimits(totalBytes: 1500), "member 'job/b' is refused: the members up to it add up to 2.0 KiB, more than the 1.5 KiB a release may have"),
    ])
    func limits(limits: TarLimits, message: String) throws {
        var tar = TarBuilder()
        for name in ["a", "b", "c"] { tar.add("job/\(name)", data: [UInt8](repeating: 1, count: 1024)) }
        tar.end()
        let reader = TarReader(MemorySource(tar.bytes), limits: limits)
        let error = try #require(#expect(throws: ReleaseProblem.self) { while try reader.next() != nil {} })
        #expect(error.message == message)
    }

    @Test("numbers in octal with spaces, in GNU base-256, and negative or garbled ones refused")
    func numbers() {
        func field(_ bytes: [UInt8]) -> [UInt8] { [UInt8](repeating: 0, count: 124) + bytes + [UInt8](repeating: 0, count: 12 - bytes.count) }
        #expect(TarHeader.number(field(Array(" 0000644 ".utf8)), 124..<136) == 0o644)
        #expect(TarHeader.number(field([0x80, 0, 0, 0, 0, 0, 0, 1, 0x40, 0, 0, 0]), 124..<136) == 5 << 30)
        #expect(TarHeader.number(field([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]), 124..<136) == nil)
        #expect(TarHeader.number(field(Array("12x4".utf8)), 124..<136) == nil)
    }

    @Test("removing a partial folder deletes a symlink in it, never what it points at")
    func removalDoesNotFollow() throws {
        let fixture = try ReleaseFixture()
        let outside = try fixture.write("outside/keep", Array("kept".utf8))
        try fixture.write("partial/job/file", [1])
        try FileManager.default.createSymbolicLink(atPath: "\(fixture.dir)/partial/job/out",
                                                   withDestinationPath: "\(fixture.dir)/outside")
        ReleaseCache.removeTree("\(fixture.dir)/partial")
        #expect(!FileManager.default.fileExists(atPath: "\(fixture.dir)/partial"))
        #expect(try String(contentsOfFile: outside, encoding: .utf8) == "kept")
    }
}
