/// Bookkeeping for a pipelined SFTP upload from one reusable buffer.
///
/// libssh2's `sftp_write` sends what it is given as many 30,000-byte requests and returns as soon
/// as the first is acknowledged; the next call must start at the first unacknowledged byte and
/// cover everything already sent, unchanged. So the upload keeps a window of `window` bytes in
/// flight, sliding forward with every acknowledgement, from a buffer of `capacity` bytes that is
/// refilled from the file and compacted (unacknowledged bytes moved to the front) when it runs
/// out of room. Moving bytes is safe: libssh2 copied them into its packets when it sent them,
/// and what it compares on the next call is their position in the file, which compaction keeps.
struct UploadWindow: Equatable {
    /// What the upload loop does next.
    enum Action: Equatable {
        /// Read `count` bytes of the file from `fileOffset` into the buffer at `bufferOffset`.
        case read(bufferOffset: Int, fileOffset: UInt64, count: Int)
        /// Move `count` bytes from `from` to the start of the buffer.
        case compact(from: Int, count: Int)
        /// Pass `count` bytes at `bufferOffset` to `sftp_write`.
        case write(bufferOffset: Int, count: Int)
        /// Every byte is acknowledged.
        case done
    }

    let fileSize: UInt64
    let window: Int
    let capacity: Int
    /// File offset of the buffer's first byte.
    private(set) var bufferStart: UInt64 = 0
    /// Valid bytes in the buffer.
    private(set) var buffered = 0
    /// File offset of the first byte the host has not acknowledged.
    private(set) var acknowledged: UInt64 = 0

    init(fileSize: UInt64, window: Int = 2 << 20, capacity: Int = 8 << 20) {
        precondition(window > 0 && capacity >= window)
        self.fileSize = fileSize
        self.window = window
        self.capacity = capacity
    }

    private var bufferEnd: UInt64 { bufferStart + UInt64(buffered) }
    private var ahead: Int { Int(bufferEnd - acknowledged) }

    /// The next step; call again after reporting its outcome.
    var next: Action {
        if acknowledged == fileSize { return .done }
        if bufferEnd < fileSize && ahead < window {
            if buffered < capacity {
                let count = min(UInt64(capacity - buffered), fileSize - bufferEnd)
                return .read(bufferOffset: buffered, fileOffset: bufferEnd, count: Int(count))
            }
            return .compact(from: Int(acknowledged - bufferStart), count: ahead)
        }
        return .write(bufferOffset: Int(acknowledged - bufferStart), count: min(window, ahead))
    }

    /// `count` bytes were read into the buffer after the valid ones.
    mutating func didRead(_ count: Int) {
        precondition(count >= 0 && buffered + count <= capacity && bufferEnd + UInt64(count) <= fileSize)
        buffered += count
    }

    /// The unacknowledged bytes were moved to the front of the buffer.
    mutating func didCompact() {
        buffered = ahead
        bufferStart = acknowledged
    }

    /// The host acknowledged `count` more bytes.
    mutating func acknowledge(_ count: Int) {
        precondition(count >= 0 && count <= ahead)
        acknowledged += UInt64(count)
    }
}
