/// The byte ranges of a zip's entries, read from its central directory. Anything that does not
/// add up (no end record, offsets out of order or out of bounds, a local header missing where
/// the directory says, zip64) makes it "not a zip" and the file is cut by content instead:
/// the layout only chooses where to cut, it is never trusted for anything else.
enum ZipLayout {
    struct Piece {
        var span: ChunkSpan
        /// A group of small entries closes after this one (decided by the entry's name).
        var endsGroup: Bool
    }

    /// The pieces of the file in order: bytes before the first entry (if any), each entry from
    /// its local header to the next, and the central directory with the end record.
    static func pieces(_ bytes: UnsafeRawBufferPointer) -> [Piece]? {
        let count = bytes.count
        guard count >= 22 else { return nil }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        // The end record is in the last 64 KiB + 22 bytes (its comment is at most 65535).
        var eocd = -1
        var at = count - 22
        let lowest = max(0, count - 22 - 65535)
        while at >= lowest {
            if bytes[at] == 0x50, bytes[at + 1] == 0x4b, bytes[at + 2] == 0x05, bytes[at + 3] == 0x06 {
                eocd = at
                break
            }
            at -= 1
        }
        guard eocd >= 0 else { return nil }
        let entries = u16(eocd + 10)
        let directorySize = u32(eocd + 12)
        let directoryOffset = u32(eocd + 16)
        guard entries > 0, entries != 0xffff, directoryOffset != 0xffff_ffff,
              directoryOffset + directorySize <= eocd else { return nil }
        var offsets: [(offset: Int, endsGroup: Bool)] = []
        offsets.reserveCapacity(entries)
        var cursor = directoryOffset
        for _ in 0..<entries {
            guard cursor + 46 <= directoryOffset + directorySize, u32(cursor) == 0x0201_4b50 else { return nil }
            let nameLength = u16(cursor + 28)
            let local = u32(cursor + 42)
            guard local != 0xffff_ffff, local + 30 <= directoryOffset, u32(local) == 0x0403_4b50,
                  cursor + 46 + nameLength <= directoryOffset + directorySize else { return nil }
            var hash: UInt32 = 2_166_136_261
            for index in 0..<nameLength {
                hash = (hash ^ UInt32(bytes[cursor + 46 + index])) &* 16_777_619
            }
            offsets.append((local, hash & 7 == 0))
            cursor += 46 + nameLength + u16(cursor + 30) + u16(cursor + 32)
        }
        offsets.sort { $0.offset < $1.offset }
        var pieces: [Piece] = []
        if let first = offsets.first, first.offset > 0 {
            pieces.append(Piece(span: ChunkSpan(offset: 0, length: first.offset), endsGroup: true))
        }
        for (index, entry) in offsets.enumerated() {
            let next = index + 1 < offsets.count ? offsets[index + 1].offset : directoryOffset
            guard next > entry.offset else { return nil }
            pieces.append(Piece(span: ChunkSpan(offset: entry.offset, length: next - entry.offset), endsGroup: entry.endsGroup))
        }
        pieces.append(Piece(span: ChunkSpan(offset: directoryOffset, length: count - directoryOffset), endsGroup: true))
        return pieces
    }
}
