/// A stream of bytes, read in pieces: the output of `gzip -dc`, or a buffer in tests.
protocol ByteSource: AnyObject {
    /// Fills the front of `buffer`; returns how many bytes were read, 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// One member of a tar stream, with pax and GNU long-name records already applied.
struct TarMember: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case file, directory, symlink, hardLink, characterDevice, blockDevice, fifo
        /// A type this reader does not know (GNU sparse files, volume labels, …).
        case other(UInt8)
    }
    /// The path as the archive names it (not yet checked or normalised).
    var path: String
    var kind: Kind
    /// A symlink's or hard link's target.
    var linkTarget: String
    /// Permission bits as stored.
    var mode: UInt32
    /// Bytes of data.
    var size: UInt64
}

/// Bounds on what one archive may make the reader hold or write.
struct TarLimits: Sendable {
    /// Largest member (4 GiB; the largest bk-job jar is a few hundred MB).
    var memberBytes: UInt64 = 4 << 30
    /// All members together (16 GiB).
    var totalBytes: UInt64 = 16 << 30
    /// Members (upstream's release has a few thousand).
    var members = 100_000
    /// One pax or GNU long-name record, which is held in memory.
    var recordBytes = 1 << 20
    /// A member's path or link target.
    var pathBytes = 4096
}

/// Reads a tar stream member by member: ustar, pax extended (`x`) and global (`g`) records
/// (`path`, `linkpath`, `size`), GNU long names (`L`, `K`); header checksums verified. The data
/// of the current member is read with `readData`, or skipped by the next `next()`.
final class TarReader {
    let limits: TarLimits
    private let source: any ByteSource
    private var buffer = [UInt8](repeating: 0, count: 1 << 17)
    private var start = 0
    private var end = 0
    private var offset: UInt64 = 0
    private var global: [String: String] = [:]
    private var current: (path: String, left: UInt64, padding: UInt64)?
    private var members = 0
    private var total: UInt64 = 0

    init(_ source: any ByteSource, limits: TarLimits = TarLimits()) {
        self.source = source
        self.limits = limits
    }

    /// The next member, or nil after the end-of-archive block (the rest of the stream is read
    /// and dropped, so the decompressor can check its trailer).
    func next() throws -> TarMember? {
        if current != nil { try readData { _ in } }
        var extended: [String: String] = [:]
        var longName: [UInt8]?
        var longLink: [UInt8]?
        var headers = 0
        while true {
            let at = offset
            guard let block = try readBlock() else { throw ReleaseProblem.truncated("without its end-of-archive block") }
            if TarHeader.isEnd(block) {
                if headers > 0 { throw ReleaseProblem.truncated("after an extended header, before its member") }
                try drain()
                return nil
            }
            let header = try TarHeader(block, offset: at)
            headers += 1
            if headers > 16 {
                throw ReleaseProblem.refused(TarHeader.text(header.nameBytes), "more than 15 extended headers in a row")
            }
            switch header.type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let records = try PaxRecords.parse(try record(header, what: "pax header"), at: at)
                if header.type == UInt8(ascii: "g") { global.merge(records) { $1 } } else { extended.merge(records) { $1 } }
            case UInt8(ascii: "L"):
                longName = Array(try record(header, what: "GNU long name").prefix { $0 != 0 })
            case UInt8(ascii: "K"):
                longLink = Array(try record(header, what: "GNU long link name").prefix { $0 != 0 })
            default:
                return try member(header, records: global.merging(extended) { $1 }, longName: longName, longLink: longLink)
            }
        }
    }

    /// Streams the current member's data to `body` in pieces, then skips its padding.
    func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let member = current else { return }
        var left = member.left
        while left > 0 {
            if start == end, try fill() == 0 {
                throw ReleaseProblem.truncated("inside member '\(member.path)', \(left) of its bytes missing")
            }
            let count = Int(min(UInt64(end - start), left))
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<(start + count)])) }
            start += count
            offset += UInt64(count)
            left -= UInt64(count)
            current?.left = left
        }
        try skip(member.padding, inside: member.path)
        current = nil
    }

    private func member(_ header: TarHeader, records: [String: String], longName: [UInt8]?,
                        longLink: [UInt8]?) throws -> TarMember {
        let shown = TarHeader.text(longName ?? header.nameBytes)
        let path = try text(records["path"].map { Array($0.utf8) } ?? longName ?? header.nameBytes, member: shown, what: "name")
        let link = try text(records["linkpath"].map { Array($0.utf8) } ?? longLink ?? header.linkBytes,
                            member: path, what: "link target")
        var size = header.size
        if let text = records["size"] {
            guard let value = UInt64(text) else { throw ReleaseProblem.refused(path, "its pax size '\(text)' is not a number") }
            size = value
        }
        members += 1
        if members > limits.members {
            throw ReleaseProblem.refused(path, "the archive has more than \(limits.members) members")
        }
        if size > limits.memberBytes {
            throw ReleaseProblem.refused(path, "it is \(Format.bytes(size)), more than the \(Format.bytes(limits.memberBytes)) one member may have")
        }
        total += size
        if total > limits.totalBytes {
            throw ReleaseProblem.refused(path, "the members up to it add up to \(Format.bytes(total)), more than the \(Format.bytes(limits.totalBytes)) a release may have")
        }
        let kind: TarMember.Kind = switch header.type {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): .file
        case UInt8(ascii: "1"): .hardLink
        case UInt8(ascii: "2"): .symlink
        case UInt8(ascii: "3"): .characterDevice
        case UInt8(ascii: "4"): .blockDevice
        case UInt8(ascii: "5"): .directory
        case UInt8(ascii: "6"): .fifo
        default: .other(header.type)
        }
        current = (path, size, Self.padding(size))
        return TarMember(path: path, kind: kind, linkTarget: link, mode: header.mode, size: size)
    }

    /// The data of a pax or GNU record, held whole (it is bounded by `limits.recordBytes`).
    private func record(_ header: TarHeader, what: String) throws -> [UInt8] {
        let name = TarHeader.text(header.nameBytes)
        guard header.size <= UInt64(limits.recordBytes) else {
            throw ReleaseProblem.refused(name, "its \(what) is \(Format.bytes(header.size)), more than \(Format.bytes(UInt64(limits.recordBytes)))")
        }
        var data: [UInt8] = []
        data.reserveCapacity(Int(header.size))
        current = (name, header.size, Self.padding(header.size))
        try readData { data.append(contentsOf: $0) }
        return data
    }

    /// A name or link target as text: UTF-8, no NUL, not longer than `limits.pathBytes`.
    private func text(_ bytes: [UInt8], member: String, what: String) throws -> String {
        guard bytes.count <= limits.pathBytes else {
            throw ReleaseProblem.refused(member, "its \(what) is longer than \(limits.pathBytes) bytes")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ReleaseProblem.refused(member, "its \(what) is not UTF-8")
        }
        return text
    }

    private static func padding(_ size: UInt64) -> UInt64 {
        let block = UInt64(TarHeader.blockSize)
        return (block - size % block) % block
    }

    /// The next 512 bytes; nil when the stream ends exactly before them.
    private func readBlock() throws -> [UInt8]? {
        var block: [UInt8] = []
        block.reserveCapacity(TarHeader.blockSize)
        while block.count < TarHeader.blockSize {
            if start == end, try fill() == 0 {
                if block.isEmpty { return nil }
                throw ReleaseProblem.truncated("inside a header, at byte \(offset)")
            }
            let count = min(end - start, TarHeader.blockSize - block.count)
            block.append(contentsOf: buffer[start..<(start + count)])
            start += count
            offset += UInt64(count)
        }
        return block
    }

    private func skip(_ count: UInt64, inside path: String) throws {
        var left = count
        while left > 0 {
            if start == end, try fill() == 0 { throw ReleaseProblem.truncated("inside the padding of member '\(path)'") }
            let step = Int(min(UInt64(end - start), left))
            start += step
            offset += UInt64(step)
            left -= UInt64(step)
        }
    }

    /// Reads what follows the end-of-archive block (tar's zero padding, up to a record) to the
    /// stream's end, so the decompressor gets to check its trailer.
    private func drain() throws {
        let limit = offset + (16 << 20)
        offset += UInt64(end - start)
        start = end
        while try fill() > 0 {
            offset += UInt64(end)
            start = end
            if offset > limit { throw ReleaseProblem("goes on for more than 16 MiB after its end-of-archive block") }
        }
    }

    private func fill() throws -> Int {
        start = 0
        end = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        return end
    }
}
