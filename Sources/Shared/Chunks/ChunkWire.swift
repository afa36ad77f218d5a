/// What `jobfleet-agent receive` and the controller say to each other on one SSH channel.
///
/// Controller to agent: frames of one type byte, a 4-byte big-endian length and a payload:
/// the plan (JSON ``ReceivePlan``), then the data of every chunk the agent said it lacks
/// (32 raw digest bytes and the chunk), each sent once, in the order the agent meets them
/// walking the plan's files (``ChunkSendPlan``), then the end. Agent to controller: JSON lines,
/// ``ReceiveReply``: first the chunks it lacks, then one line per file, then a summary.
public enum ChunkWire {
    /// Frame types.
    public static let plan: UInt8 = 0x50      // "P"
    public static let data: UInt8 = 0x44      // "D"
    public static let end: UInt8 = 0x45       // "E"
    /// A plan's JSON is at most this long; a data frame at most a chunk and its digest.
    public static let planLimit = 64 << 20
    public static let dataLimit = Chunker.maximum + 32

    /// A frame's header.
    public static func header(type: UInt8, length: Int) -> [UInt8] {
        let value = UInt32(length)
        return [type, UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }

    /// 32 digest bytes from 64 hex digits (nil for anything else).
    public static func digestBytes(_ hex: String) -> [UInt8]? {
        guard ChunkRef.isDigest(hex) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var high: UInt8 = 0
        for (index, c) in hex.utf8.enumerated() {
            let nibble = c <= 57 ? c - 48 : c - 87
            if index % 2 == 0 { high = nibble } else { out.append(high << 4 | nibble) }
        }
        return out
    }
}

/// The files a receive session places, each as its recipe, and where.
public struct ReceivePlan: Codable, Sendable, Hashable {
    public struct File: Codable, Sendable, Hashable {
        /// Absolute path under the agent's BK_HOME.
        public var path: String
        public var mode: UInt32
        public var recipe: ChunkRecipe

        public init(path: String, mode: UInt32, recipe: ChunkRecipe) {
            self.path = path
            self.mode = mode
            self.recipe = recipe
        }
    }

    public var files: [File]

    public init(files: [File]) {
        self.files = files
    }
}

/// One line from the agent during a receive session.
public struct ReceiveReply: Codable, Sendable, Hashable {
    /// First line: the plan's chunks the store lacks (each digest once).
    public var missing: [String]?
    /// A file placed at its final path.
    public var placed: String?
    /// A file not placed, with why, and the chunks found corrupt in the store (removed; the
    /// next session is told they are missing and gets them again).
    public var failed: String?
    public var corrupt: [String]?
    public var message: String?
    /// Last line: how many chunks the store has, how many collection removed, and the bytes
    /// received and written.
    public var done: Bool?
    public var stored: Int?
    public var collected: Int?
    public var received: UInt64?
    public var written: UInt64?
    /// The session could not go on (bad plan, unsafe path, broken stream).
    public var error: String?

    public init(missing: [String]? = nil, placed: String? = nil, failed: String? = nil, corrupt: [String]? = nil,
                message: String? = nil, done: Bool? = nil, stored: Int? = nil, collected: Int? = nil,
                received: UInt64? = nil, written: UInt64? = nil, error: String? = nil) {
        self.missing = missing
        self.placed = placed
        self.failed = failed
        self.corrupt = corrupt
        self.message = message
        self.done = done
        self.stored = stored
        self.collected = collected
        self.received = received
        self.written = written
        self.error = error
    }
}
