/// Where a file is cut into chunks, the unit the chunk store keeps and hosts exchange.
///
/// A zip (every jar) is cut at its entries' local headers: a Spring Boot fat jar stores its
/// libraries as whole nested jars, so an unchanged library is an unchanged run of bytes
/// between two headers wherever it moved, and a changed one is exactly its own entry. Small
/// entries (classes, resources) are grouped until an entry whose name hashes to a group end,
/// so an added class moves no other group's bounds. Entries above ``maximum`` and files that
/// are not zips are cut by content (a gear rolling hash, as FastCDC), which finds the same
/// bounds in the same bytes wherever they sit in the file.
public enum Chunker {
    /// The shortest chunk content-defined cutting makes (but the last).
    public static let minimum = 256 << 10
    /// The longest chunk of any kind: bounds the memory a chunk needs on either side.
    public static let maximum = 4 << 20
    /// Content-defined cuts come about every this many bytes past the minimum (a power of two).
    public static let average = 1 << 20
    /// Entries from this size stand alone; smaller ones are grouped.
    public static let smallEntry = 64 << 10
    /// A group of small entries ends at this size at the latest.
    public static let groupLimit = 1 << 20

    /// How a file is cut.
    public enum Strategy: String, Sendable, CaseIterable {
        /// Zip entries (grouped when small, cut by content when large); content otherwise.
        case zipEntries = "zip-entries"
        /// Content-defined cutting of the whole file, zip or not.
        case contentDefined = "content-defined"
    }

    /// The chunks of `bytes`, in order, covering every byte once.
    public static func cut(_ bytes: UnsafeRawBufferPointer, strategy: Strategy = .zipEntries) -> [ChunkSpan] {
        guard !bytes.isEmpty else { return [] }
        if strategy == .zipEntries, let pieces = ZipLayout.pieces(bytes) {
            var spans: [ChunkSpan] = []
            var group: ChunkSpan?
            for piece in pieces {
                if piece.span.length >= smallEntry {
                    if let open = group { spans.append(open); group = nil }
                    if piece.span.length > maximum {
                        spans += contentDefined(bytes, from: piece.span.offset, to: piece.span.end)
                    } else {
                        spans.append(piece.span)
                    }
                    continue
                }
                var open = group ?? ChunkSpan(offset: piece.span.offset, length: 0)
                open.length += piece.span.length
                if piece.endsGroup || open.length >= groupLimit {
                    spans.append(open)
                    group = nil
                } else {
                    group = open
                }
            }
            if let open = group { spans.append(open) }
            return spans
        }
        return contentDefined(bytes, from: 0, to: bytes.count)
    }

    /// Content-defined chunks of `bytes[from..<to]`.
    static func contentDefined(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> [ChunkSpan] {
        var spans: [ChunkSpan] = []
        let mask = UInt64(average - 1) << (64 - UInt64(average.trailingZeroBitCount))
        var start = from
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        while start < to {
            let left = to - start
            if left <= minimum {
                spans.append(ChunkSpan(offset: start, length: left))
                break
            }
            let limit = start + min(left, maximum)
            var hash: UInt64 = 0
            var index = start + minimum
            var cut = limit
            while index < limit {
                hash = (hash &<< 1) &+ gear[Int(base[index])]
                if hash & mask == 0 {
                    cut = index + 1
                    break
                }
                index += 1
            }
            spans.append(ChunkSpan(offset: start, length: cut - start))
            start = cut
        }
        return spans
    }

    /// 256 fixed pseudo-random words (SplitMix64 from a fixed seed): the same cuts everywhere.
    static let gear: [UInt64] = {
        var state: UInt64 = 0x6a6f_6266_6c65_6574
        return (0..<256).map { _ in
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }()
}

/// A run of a file's bytes.
public struct ChunkSpan: Sendable, Hashable, CustomStringConvertible {
    public var offset: Int
    public var length: Int
    public var end: Int { offset + length }

    public init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }

    public var description: String { "\(offset)+\(length)" }
}
