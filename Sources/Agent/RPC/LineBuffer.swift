/// Splits the bytes read from a connection into `\n`-terminated lines, refusing lines past a
/// limit. It holds what was read and not yet taken, so the reader can stop taking lines (a
/// connection with enough requests in flight) without losing any.
struct LineBuffer {
    /// A line, or a line that was too long (its bytes dropped up to the next newline).
    enum Line: Equatable {
        case line([UInt8])
        case tooLong
    }

    let maxLength: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var discarding = false

    init(maxLength: Int) { self.maxLength = maxLength }

    /// Adds bytes read from the connection.
    mutating func append(_ bytes: ArraySlice<UInt8>) {
        buffer.append(contentsOf: bytes)
        if !discarding && buffer.count - start > maxLength && !buffer[start...].contains(UInt8(ascii: "\n")) {
            // Drop what we have and skip to the next newline.
            drop()
            discarding = true
        } else if discarding {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                start = newline
            } else {
                drop()
            }
        }
    }

    /// The next whole line without its newline, or nil until one has arrived.
    mutating func next() -> Line? {
        guard let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        if discarding {
            discarding = false
            start = newline + 1
            compact()
            return .tooLong
        }
        let line = Array(buffer[start..<newline])
        start = newline + 1
        compact()
        if line.count > maxLength { return .tooLong }
        return .line(line)
    }

    /// At end of input: a last line without a newline, if any.
    mutating func finish() -> Line? {
        defer { drop() }
        if discarding {
            discarding = false
            return .tooLong
        }
        guard start < buffer.count else { return nil }
        let line = Array(buffer[start...])
        return line.count > maxLength ? .tooLong : .line(line)
    }

    /// True while a whole line waits to be taken.
    var hasLine: Bool { buffer[start...].contains(UInt8(ascii: "\n")) }

    private mutating func drop() {
        buffer.removeAll(keepingCapacity: true)
        start = 0
    }

    private mutating func compact() {
        if start > 65536 || start == buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
    }
}
