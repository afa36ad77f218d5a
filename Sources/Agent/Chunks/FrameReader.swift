#if canImport(Glibc)
import Glibc
#endif

/// Reads ``Shared/ChunkWire`` frames from a descriptor (the receive session's stdin) through
/// one growing buffer. A payload stays valid until the next call.
final class FrameReader {
    private let fd: Int32
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var end = 0
    /// Bytes read from the descriptor so far.
    private(set) var received: UInt64 = 0

    init(fd: Int32, capacity: Int = 8 << 20) {
        self.fd = fd
        self.capacity = capacity
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// The next frame; nil at the end of input exactly between frames. Throws on a frame
    /// longer than `limit`, a read error or input that ends inside a frame.
    func next(limit: Int) throws -> (type: UInt8, payload: UnsafeRawBufferPointer)? {
        guard try fill(5) else { return nil }
        let header = buffer.advanced(by: start).assumingMemoryBound(to: UInt8.self)
        let type = header[0]
        let length = Int(header[1]) << 24 | Int(header[2]) << 16 | Int(header[3]) << 8 | Int(header[4])
        guard length <= limit else { throw ReceiveError("a frame of \(length) bytes is over the limit of \(limit)") }
        guard try fill(5 + length) else { throw ReceiveError("the input ended inside a frame") }
        let payload = UnsafeRawBufferPointer(start: buffer.advanced(by: start + 5), count: length)
        start += 5 + length
        return (type, payload)
    }

    /// Makes `count` bytes from `start` available; false when the input ended before any of
    /// them arrived (and throws when it ended after some).
    private func fill(_ count: Int) throws -> Bool {
        if end - start >= count { return true }
        if start > 0 {
            memmove(buffer, buffer + start, end - start)
            end -= start
            start = 0
        }
        if count > capacity {
            let grown = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
            grown.copyMemory(from: buffer, byteCount: end)
            buffer.deallocate()
            buffer = grown
            capacity = count
        }
        let had = end
        while end < count {
            let got = retryingOnEINTR { read(fd, buffer + end, capacity - end) }
            if got < 0 { throw ReceiveError("reading the stream: \(String(cString: strerror(errno)))") }
            if got == 0 {
                if end == 0 && had == 0 { return false }
                throw ReceiveError("the input ended inside a frame")
            }
            end += got
            received += UInt64(got)
        }
        return true
    }
}

/// Why a receive session stopped.
struct ReceiveError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
