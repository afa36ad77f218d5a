import Testing
@testable import Shared

/// A STORED zip of `entries`, written the way jar tools write one (local headers, data, then
/// the central directory and its end record). CRCs are left zero: the chunker never reads them.
func storedZip(_ entries: [(name: String, data: [UInt8])], prefix: [UInt8] = []) -> [UInt8] {
    func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)] }
    func le32(_ v: Int) -> [UInt8] { le16(v & 0xffff) + le16((v >> 16) & 0xffff) }
    var out = prefix
    var central: [UInt8] = []
    for entry in entries {
        let offset = out.count
        let name = Array(entry.name.utf8)
        out += le32(0x0403_4b50) + le16(10) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0)
            + le32(entry.data.count) + le32(entry.data.count) + le16(name.count) + le16(0) + name + entry.data
        central += le32(0x0201_4b50) + le16(20) + le16(10) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0)
            + le32(entry.data.count) + le32(entry.data.count) + le16(name.count) + le16(0) + le16(0) + le16(0) + le16(0)
            + le32(0) + le32(offset) + name
    }
    let directoryOffset = out.count
    out += central
    out += le32(0x0605_4b50) + le16(0) + le16(0) + le16(entries.count) + le16(entries.count) + le32(central.count)
        + le32(directoryOffset) + le16(0)
    return out
}

/// Pseudo-random bytes from a seed (xorshift), so tests need no fixtures.
func noise(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

func chunks(_ bytes: [UInt8], _ strategy: Chunker.Strategy = .zipEntries) -> [ChunkSpan] {
    bytes.withUnsafeBytes { Chunker.cut($0, strategy: strategy) }
}

func digests(_ bytes: [UInt8], _ strategy: Chunker.Strategy = .zipEntries) -> [String] {
    chunks(bytes, strategy).map { Checksum.sha256(bytes[$0.offset..<$0.end]) }
}

@Suite("Chunker")
struct ChunkerTests {
    @Test("chunks cover every byte once, in order, each within the maximum", arguments: Chunker.Strategy.allCases)
    func coverage(strategy: Chunker.Strategy) {
        let zip = storedZip([("a.class", noise(3000, seed: 1)), ("lib/big.jar", noise(9 << 20, seed: 2)),
                             ("lib/mid.jar", noise(300 << 10, seed: 3))])
        for bytes in [zip, noise(10 << 20, seed: 4), noise(100, seed: 5)] {
            let spans = chunks(bytes, strategy)
            var at = 0
            for span in spans {
                #expect(span.offset == at && span.length > 0 && span.length <= Chunker.maximum)
                at = span.end
            }
            #expect(at == bytes.count)
        }
        #expect(chunks([], strategy).isEmpty)
    }

    @Test("a zip is cut at its entries: a library of its own stands alone, whatever comes before it")
    func zipEntries() {
        let library = noise(500 << 10, seed: 7)
        let first = storedZip([("META-INF/MANIFEST.MF", Array("v1".utf8)), ("lib/shared.jar", library)])
        let second = storedZip([("META-INF/MANIFEST.MF", Array("version 2, longer".utf8)), ("x.class", noise(900, seed: 8)),
                                ("lib/shared.jar", library)])
        let shared = Set(digests(first)).intersection(digests(second))
        #expect(shared.count == 1, "the library's entry is the one chunk both jars have")
        let spans = chunks(first)
        #expect(spans.contains { $0.length == 30 + "lib/shared.jar".utf8.count + library.count })
    }

    @Test("bytes before a zip's first entry (a launch script) are a chunk of their own")
    func prefixedZip() {
        let script = Array("#!/bin/sh\nexec java -jar \"$0\"\n".utf8)
        let zip = storedZip([("lib/a.jar", noise(200 << 10, seed: 9))], prefix: script)
        #expect(chunks(zip).first == ChunkSpan(offset: 0, length: script.count))
        #expect(chunks(zip).count == 3, "the script, the library's entry, the central directory")
    }

    @Test("content-defined cuts find the same chunks after an insertion in front")
    func shiftResistance() {
        let body = noise(12 << 20, seed: 11)
        let shifted = noise(1234, seed: 12) + body
        let before = Set(digests(body, .contentDefined))
        let after = digests(shifted, .contentDefined)
        let common = after.filter { before.contains($0) }.count
        #expect(before.count >= 6)
        #expect(common >= before.count - 2, "all but the chunks around the insertion are found again")
    }

    @Test("an entry larger than the maximum is cut by content inside its own bounds")
    func largeEntry() {
        let big = noise(9 << 20, seed: 13)
        let zip = storedZip([("a.txt", Array("x".utf8)), ("lib/huge.jar", big)])
        let spans = chunks(zip)
        #expect(spans.count >= 3)
        #expect(spans.allSatisfy { $0.length <= Chunker.maximum })
    }

    @Test("something that looks like a zip but does not add up is cut by content", arguments: [
        "end record pointing past the file", "local header missing",
    ])
    func brokenZip(kind: String) {
        var zip = storedZip([("lib/a.jar", noise(600 << 10, seed: 14))])
        if kind == "local header missing" {
            zip[0] = 0
        } else {
            let eocd = zip.count - 22
            zip[eocd + 16] = 0xff
            zip[eocd + 17] = 0xff
            zip[eocd + 18] = 0xff
        }
        let zipCut = chunks(zip, .zipEntries)
        #expect(zipCut == chunks(zip, .contentDefined))
    }

    @Test("the same bytes are always cut the same way")
    func deterministic() {
        let bytes = noise(6 << 20, seed: 15)
        #expect(chunks(bytes) == chunks(bytes))
        #expect(Chunker.gear.count == 256 && Set(Chunker.gear).count == 256)
    }
}

@Suite("What to send a host")
struct ChunkSendPlanTests {
    func recipe(_ name: String, _ chunks: [String]) -> ChunkRecipe {
        ChunkRecipe(sha256: name, size: UInt64(chunks.count * 10), chunks: chunks.map { ChunkRef(sha256: $0, size: 10) })
    }

    @Test("a missing chunk is sent once, with the first file that uses it; what the host has is not sent")
    func firstUse() {
        let files = [recipe("f1", ["a", "b", "c"]), recipe("f2", ["b", "d", "a", "d"])]
        let plan = ChunkSendPlan(files: files, missing: ["b", "d"])
        #expect(plan.items.map { "\($0.file):\($0.chunk):\($0.ref.sha256)" } == ["0:1:b", "1:1:d"])
        #expect(plan.placedBytes == 70 && plan.sentBytes == 20)
    }

    @Test("nothing missing sends nothing; everything missing sends each distinct chunk once")
    func extremes() {
        let files = [recipe("f1", ["a", "a", "b"]), recipe("f2", ["b", "c"])]
        #expect(ChunkSendPlan(files: files, missing: []).items.isEmpty)
        let all = ChunkSendPlan(files: files, missing: ["a", "b", "c"])
        #expect(all.items.map(\.ref.sha256) == ["a", "b", "c"] && all.sentBytes == 30)
        #expect(ChunkSendPlan.distinctChunks(of: files).map(\.sha256) == ["a", "b", "c"])
    }

    @Test("digests travel as 32 raw bytes; anything but 64 lowercase hex digits is refused")
    func digestBytes() {
        let hex = String(repeating: "0f", count: 32)
        #expect(ChunkWire.digestBytes(hex) == Array(repeating: 0x0f, count: 32))
        #expect(ChunkWire.digestBytes(hex.uppercased()) == nil)
        #expect(ChunkWire.digestBytes("../etc/passwd") == nil)
        #expect(ChunkWire.header(type: ChunkWire.data, length: 0x0102_0304) == [0x44, 1, 2, 3, 4])
    }
}
