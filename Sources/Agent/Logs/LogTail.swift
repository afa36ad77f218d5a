import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// What to take from the end of a log file, and the bounds that keep the answer small.
struct LogQuery {
    /// Matching lines wanted, newest last.
    var lines: Int
    /// Only lines containing a match.
    var grep: Regex<AnyRegexOutput>?
    /// Only entries at or after this instant.
    var since: Date?
    /// Bound on the returned bytes (lines plus newlines).
    var maxBytes: Int
    /// Longer lines are cut to this many bytes.
    var maxLineBytes = 8192
    /// Stop reading backwards after this many bytes, however few lines matched, so a grep
    /// for something absent cannot make the agent read a 10 GB log.
    var maxScanBytes = 64 << 20
}

/// Reads a log file backwards from its end in chunks, so the cost follows the answer's size,
/// not the file's.
enum LogTail {
    /// The matching lines of the log at `path`, opened as ``AgentPaths/openForReading(_:)``
    /// does: never through a link under BK_HOME, never a FIFO or device.
    static func read(opening path: String, in paths: AgentPaths, query: LogQuery) throws -> (lines: [String], truncated: Bool) {
        let fd = try paths.openForReading(path)
        defer { close(fd) }
        return try read(fd: fd, path: path, query: query)
    }

    /// The matching lines of the regular file at `path` (not a link in its last component).
    static func read(path: String, query: LogQuery) throws -> (lines: [String], truncated: Bool) {
        let name = String(path.split(separator: "/").last ?? "")
        let fd = try DirectoryHandle.open(FileIO.parent(of: path)).openFile(name, O_RDONLY)
        defer { close(fd) }
        return try read(fd: fd, path: path, query: query)
    }

    /// The matching lines, oldest first, and whether a bound cut the answer short.
    static func read(fd: Int32, path: String, query: LogQuery) throws -> (lines: [String], truncated: Bool) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw PosixError("stat", path: path) }

        var collector = Collector(query: query)
        var position = Int(info.st_size)
        var carry: [UInt8] = []
        var skippedTrailingNewline = false
        let chunkSize = 65536
        var scanned = 0
        while position > 0 && !collector.done {
            let count = min(chunkSize, position)
            position -= count
            var chunk = [UInt8](repeating: 0, count: count)
            let got = chunk.withUnsafeMutableBytes { raw in retryingOnEINTR { pread(fd, raw.baseAddress, count, off_t(position)) } }
            if got < 0 { throw PosixError("read", path: path) }
            chunk.removeLast(count - got)
            scanned += got
            chunk.append(contentsOf: carry)
            // Lines, newest first. The first piece may continue in the previous chunk.
            var pieces = chunk.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            if !skippedTrailingNewline {
                skippedTrailingNewline = true
                if pieces.last?.isEmpty == true { pieces.removeLast() }
            }
            carry = position > 0 ? Array(pieces.removeFirst()) : []
            if carry.count > query.maxLineBytes * 4 {
                // A pathological line with no newline for a long stretch: keep its tail only.
                carry = Array(carry.suffix(query.maxLineBytes))
                collector.truncated = true
            }
            for piece in pieces.reversed() {
                collector.offer(piece)
                if collector.done { break }
            }
            if scanned >= query.maxScanBytes && position > 0 && !collector.done {
                collector.truncated = true
                break
            }
        }
        return (collector.result, collector.truncated)
    }

    /// Applies the filters to lines offered newest first.
    private struct Collector {
        let query: LogQuery
        var picked: [String] = []
        var bytes = 0
        var truncated = false
        var done = false
        /// Lines without a timestamp (stack frames) wait for the line above them to say
        /// whether their entry is recent enough.
        var pending: [String] = []

        init(query: LogQuery) {
            self.query = query
            if query.lines <= 0 { done = true }
        }

        var result: [String] { picked.reversed() }

        mutating func offer(_ raw: ArraySlice<UInt8>) {
            var bytes = raw
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            var cut = false
            if bytes.count > query.maxLineBytes {
                bytes = bytes.prefix(query.maxLineBytes)
                cut = true
            }
            let line = String(decoding: bytes, as: UTF8.self) + (cut ? " …[cut]" : "")
            if let since = query.since {
                guard let stamp = LogTimestamp.parse(Array(bytes)) else {
                    pending.append(line)
                    return
                }
                if stamp < since {
                    done = true
                    return
                }
                // Newest first: the entry's continuation lines come before its first line.
                for continuation in pending where !done { take(continuation, cut: false) }
                pending.removeAll()
                if !done { take(line, cut: cut) }
            } else {
                take(line, cut: cut)
            }
        }

        private mutating func take(_ line: String, cut: Bool) {
            if let grep = query.grep, !line.contains(grep) { return }
            let size = line.utf8.count + 1
            if bytes + size > query.maxBytes {
                truncated = true
                done = true
                return
            }
            if cut { truncated = true }
            bytes += size
            picked.append(line)
            if picked.count >= query.lines { done = true }
        }
    }
}
