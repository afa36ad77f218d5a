/// One 512-byte tar header block, decoded: POSIX ustar (with its name prefix) and GNU headers,
/// octal and GNU base-256 numbers, the checksum verified.
struct TarHeader: Sendable {
    static let blockSize = 512

    /// The name field as stored (ustar: prefix, `/`, name); may be overridden by a pax or GNU
    /// long-name record before it becomes the member's path.
    var nameBytes: [UInt8]
    /// The link-name field as stored.
    var linkBytes: [UInt8]
    /// Permission bits (`mode & 0o7777`).
    var mode: UInt32
    /// Size of the data that follows, in bytes.
    var size: UInt64
    /// The type flag: `0`/NUL file, `1` hard link, `2` symlink, `3`/`4` devices, `5` directory,
    /// `6` FIFO, `7` contiguous file, `x`/`g` pax records, `L`/`K` GNU long names.
    var type: UInt8

    /// Decodes `block`, found at byte `offset` of the stream (for messages).
    init(_ block: [UInt8], offset: UInt64) throws(ReleaseProblem) {
        let shown = TarHeader.text(TarHeader.field(block, 0..<100))
        let at = "the header at byte \(offset) (named '\(shown)')"
        guard let stored = TarHeader.number(block, 148..<156) else {
            throw ReleaseProblem("is not a tar archive, or is damaged: \(at) has no checksum")
        }
        let (unsigned, signed) = TarHeader.checksums(block)
        guard stored == unsigned || Int64(stored) == signed else {
            throw ReleaseProblem("is damaged: \(at) has checksum \(stored), but its bytes sum to \(unsigned)")
        }
        guard let size = TarHeader.number(block, 124..<136), let mode = TarHeader.number(block, 100..<108) else {
            throw ReleaseProblem("is damaged: \(at) has a size or mode that is not a number")
        }
        self.size = size
        self.mode = UInt32(truncatingIfNeeded: mode & 0o7777)
        type = block[156]
        linkBytes = TarHeader.field(block, 157..<257)
        nameBytes = TarHeader.field(block, 0..<100)
        // POSIX ustar keeps a long name's leading part in `prefix`; GNU's magic ("ustar  ")
        // uses those bytes for other things.
        let magic = Array(block[257..<263])
        let prefix = TarHeader.field(block, 345..<500)
        if magic == Array("ustar\0".utf8), !prefix.isEmpty {
            nameBytes = prefix + [UInt8(ascii: "/")] + nameBytes
        }
    }

    /// True for the all-zero blocks that end an archive.
    static func isEnd(_ block: [UInt8]) -> Bool { block.allSatisfy { $0 == 0 } }

    /// The bytes of a NUL-terminated field.
    static func field(_ block: [UInt8], _ range: Range<Int>) -> [UInt8] {
        let slice = block[range]
        return Array(slice.prefix { $0 != 0 })
    }

    /// A numeric field: octal digits (leading spaces, ended by space or NUL), or GNU base-256
    /// (high bit of the first byte set). Nil for anything else, and for negative numbers.
    static func number(_ block: [UInt8], _ range: Range<Int>) -> UInt64? {
        let first = block[range.lowerBound]
        if first & 0x80 != 0 {
            guard first & 0x40 == 0 else { return nil }
            var value = UInt64(first & 0x3f)
            for byte in block[(range.lowerBound + 1)..<range.upperBound] {
                guard value <= UInt64.max >> 8 else { return nil }
                value = value << 8 | UInt64(byte)
            }
            return value
        }
        var index = range.lowerBound
        while index < range.upperBound && block[index] == UInt8(ascii: " ") { index += 1 }
        var value: UInt64 = 0
        var digits = 0
        while index < range.upperBound, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(block[index]) {
            guard value <= UInt64.max >> 3 else { return nil }
            value = value << 3 | UInt64(block[index] - UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        // What follows the digits may only be terminators.
        guard block[index..<range.upperBound].allSatisfy({ $0 == 0 || $0 == UInt8(ascii: " ") }) else { return nil }
        return digits == 0 && range == 148..<156 ? nil : value
    }

    /// The header's byte sum with the checksum field counted as spaces, unsigned and signed
    /// (old writers summed signed chars; readers accept either).
    static func checksums(_ block: [UInt8]) -> (UInt64, Int64) {
        var unsigned: UInt64 = 0
        var signed: Int64 = 0
        for (index, byte) in block.enumerated() {
            let value = (148..<156).contains(index) ? UInt8(ascii: " ") : byte
            unsigned += UInt64(value)
            signed += Int64(Int8(bitPattern: value))
        }
        return (unsigned, signed)
    }

    /// Bytes as text for messages, invalid UTF-8 shown with replacement characters.
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
