/// A chunk by its content: the lowercase hex SHA-256 of its bytes and its length.
public struct ChunkRef: Codable, Hashable, Sendable {
    public var sha256: String
    public var size: Int

    public init(sha256: String, size: Int) {
        self.sha256 = sha256
        self.size = size
    }

    /// True for 64 lowercase hex digits: the only names the chunk store accepts.
    public static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// A whole file as its chunks in order, with the file's own SHA-256 and size.
public struct ChunkRecipe: Codable, Hashable, Sendable {
    public var sha256: String
    public var size: UInt64
    public var chunks: [ChunkRef]

    public init(sha256: String, size: UInt64, chunks: [ChunkRef]) {
        self.sha256 = sha256
        self.size = size
        self.chunks = chunks
    }
}
