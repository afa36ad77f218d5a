/// Reads the SSH wire encoding (RFC 4251 §5) found in key blobs and OpenSSH private key files.
struct SSHWire {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// A big-endian uint32, or nil past the end.
    mutating func readUInt32() -> UInt32? {
        guard offset + 4 <= bytes.count else { return nil }
        let value = bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        offset += 4
        return value
    }

    /// A length-prefixed string, or nil when the length runs past the end.
    mutating func readString() -> [UInt8]? {
        guard let length = readUInt32(), offset + Int(length) <= bytes.count else { return nil }
        defer { offset += Int(length) }
        return Array(bytes[offset..<offset + Int(length)])
    }

    /// `count` raw bytes, or nil past the end.
    mutating func readBytes(_ count: Int) -> [UInt8]? {
        guard offset + count <= bytes.count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }
}
