import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 digests as lowercase hex, the identity of every artifact JobFleet ships.
public enum Checksum {
    /// Hex SHA-256 of a byte buffer.
    public static func sha256<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        return hex(hasher.finalize())
    }

    /// Hex SHA-256 of a file, read in 1 MiB chunks so large jars never sit in memory whole.
    public static func sha256(fileAt path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ChecksumError.unreadable(path: path, errno: errno) }
        defer { close(fd) }
        var hasher = SHA256()
        let chunkSize = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw ChecksumError.unreadable(path: path, errno: errno)
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return hex(hasher.finalize())
    }

    /// Bytes as lowercase hex, two digits each (digests, keys, tokens).
    public static func hex<Bytes: Sequence>(_ digest: Bytes) -> String where Bytes.Element == UInt8 {
        let digits: [Character] = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return out
    }
}

/// Why a checksum could not be computed.
public enum ChecksumError: Error, CustomStringConvertible {
    case unreadable(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .unreadable(let path, let code):
            return "cannot read \(path) to compute its sha256 (\(String(cString: strerror(code)))): check that it exists and is readable"
        }
    }
}
