import Foundation
import Shared

/// SHA-256 of local files, remembered by path, size, modification time and inode, so a no-op
/// deploy does not re-read hundreds of megabytes of jars.
public final class ChecksumCache: @unchecked Sendable {
    private struct Key: Hashable, Codable {
        var path: String
        var size: UInt64
        var mtimeNanoseconds: Int64
        var inode: UInt64
    }

    private struct Store: Codable {
        var entries: [String: Entry] = [:]
    }

    private struct Entry: Codable {
        var key: Key
        var sha256: String
    }

    private let lock = NSLock()
    private var store = Store()
    private var dirty = false
    /// Where the cache persists between runs, or nil for memory only.
    public let file: String?

    /// A cache persisted in `file` (created on `save()`), or in memory only.
    public init(file: String? = nil) {
        self.file = file
        if let file, let data = FileManager.default.contents(atPath: file),
           let decoded = try? JSONDecoder().decode(Store.self, from: data) {
            store = decoded
        }
    }

    /// The default cache file: `$XDG_CACHE_HOME/jobfleet/sha256.json`.
    public static var defaultFile: String { "\(ControllerDirectories.cache)/sha256.json" }

    /// Hex SHA-256 and size of the file at `path`.
    public func sha256(of path: String) throws -> (String, UInt64) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ChecksumError.unreadable(path: path, errno: errno) }
        let key = Key(path: path, size: UInt64(info.st_size),
                      mtimeNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                      inode: UInt64(info.st_ino))
        if let hit = lock.withLock({ store.entries[path] }), hit.key == key { return (hit.sha256, key.size) }
        let sha = try Checksum.sha256(fileAt: path)
        lock.withLock {
            store.entries[path] = Entry(key: key, sha256: sha)
            dirty = true
        }
        return (sha, key.size)
    }

    /// Writes the cache back (atomically) when it changed. Failures only cost speed next time.
    public func save() {
        guard let file else { return }
        let data: Data? = lock.withLock {
            guard dirty else { return nil }
            dirty = false
            return try? JSONEncoder().encode(store)
        }
        guard let data else { return }
        // Private like the journal: it lists the operator's release paths and their digests.
        try? PrivateFiles.makeDirectory((file as NSString).deletingLastPathComponent, tighten: file == Self.defaultFile)
        try? PrivateFiles.write(data, to: file)
    }
}
