/// Which chunk data a host gets, and in which order: the decision both ends make the same way.
///
/// The agent walks the plan's files in order and each file's chunks in order; a chunk it had
/// when the session began, or received earlier in the session, it reads from its store; any
/// other it reads from the stream, so that is where the controller sends it — once, at its
/// first use. Pure: tested without hosts.
public struct ChunkSendPlan: Sendable, Hashable {
    /// One chunk to send: which file needs it first and which of its chunks it is.
    public struct Item: Sendable, Hashable {
        public var file: Int
        public var chunk: Int
        public var ref: ChunkRef
    }

    /// The data frames in order.
    public var items: [Item]
    /// Bytes of all the plan's files (what is placed).
    public var placedBytes: UInt64
    /// Bytes of chunk data sent (what travels, frames aside).
    public var sentBytes: UInt64

    /// The sends for `files` when the host lacks `missing`.
    public init(files: [ChunkRecipe], missing: Set<String>) {
        var sent = Set<String>()
        var items: [Item] = []
        var placed: UInt64 = 0
        var bytes: UInt64 = 0
        for (fileIndex, file) in files.enumerated() {
            placed += file.size
            for (chunkIndex, chunk) in file.chunks.enumerated()
            where missing.contains(chunk.sha256) && !sent.contains(chunk.sha256) {
                sent.insert(chunk.sha256)
                items.append(Item(file: fileIndex, chunk: chunkIndex, ref: chunk))
                bytes += UInt64(chunk.size)
            }
        }
        self.items = items
        self.placedBytes = placed
        self.sentBytes = bytes
    }

    /// The distinct chunks of `files`, first use first: what the plan asks the host about.
    public static func distinctChunks(of files: [ChunkRecipe]) -> [ChunkRef] {
        var seen = Set<String>()
        var out: [ChunkRef] = []
        for file in files {
            for chunk in file.chunks where seen.insert(chunk.sha256).inserted {
                out.append(chunk)
            }
        }
        return out
    }
}
