import FoundationEssentials
import Shared
#if canImport(Glibc)
import Glibc
#endif

/// The host's chunks, `$BK_HOME/.jobfleet/chunks/<2 hex>/<sha256>`, and the recipes of the
/// files built from them, `chunks/recipes/<file sha256>`.
///
/// Everything lives in the agent's private directory (its user's, mode 0700) and is reached
/// through directory handles without following links. A chunk is written under a hidden
/// temporary name and renamed to its digest only once the file it arrived in has verified
/// (or, after a failed file, once the chunk itself has), so a name always holds its content
/// unless the disk changed it since; readers verify anyway (the file's digest) and report a
/// chunk that no longer matches, which is then removed and sent again.
final class ChunkStore {
    let root: DirectoryHandle
    private let recipes: DirectoryHandle
    private var fanout: [String: DirectoryHandle] = [:]
    /// Buckets where a chunk was named since the last ``syncBuckets()``.
    private var renamed: Set<String> = []
    private var lockFD: Int32 = -1

    init(paths: AgentPaths) throws {
        let dir = try paths.openAgentDir().directory("chunks", create: 0o700)
        try dir.verify(.agentPrivate)
        root = dir
        recipes = try dir.directory("recipes", create: 0o700)
        try recipes.verify(.agentPrivate)
    }

    deinit {
        if lockFD >= 0 { close(lockFD) }
    }

    /// Takes the store for this process (flock on `chunks/lock`), waiting for another receive
    /// session to end: collection and the answer about missing chunks must not interleave.
    func lock() throws {
        let fd = try root.openFile("lock", O_RDWR | O_CREAT, mode: 0o600)
        if retryingOnEINTR({ flock(fd, LOCK_EX) }) != 0 {
            let failure = PosixError("flock", path: root.pathOf("lock"))
            close(fd)
            throw failure
        }
        lockFD = fd
    }

    private func bucket(_ digest: String, create: Bool) throws -> DirectoryHandle? {
        let name = String(digest.prefix(2))
        if let dir = fanout[name] { return dir }
        if !create, root.status(of: name) == nil { return nil }
        let dir = try root.directory(name, create: create ? 0o700 : nil)
        try dir.verify(.agentPrivate)
        fanout[name] = dir
        return dir
    }

    /// True when the store has a regular file named `digest`.
    func has(_ digest: String) -> Bool {
        guard let dir = try? bucket(digest, create: false), let info = dir.status(of: digest) else { return false }
        return (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Reads the whole chunk `digest` (expected `size` bytes) into `buffer`; false when it is
    /// missing or has another size.
    func read(_ digest: String, size: Int, into buffer: UnsafeMutableRawPointer) -> Bool {
        guard let dir = try? bucket(digest, create: false), let fd = try? dir.openFile(digest, O_RDONLY) else { return false }
        defer { close(fd) }
        return FileIO.preadFully(fd, buffer, size, offset: 0) && FileIO.isAtEnd(fd, offset: size)
    }

    /// Writes a chunk under a temporary name in its bucket; ``commit(_:)`` names it.
    func stage(_ digest: String, _ bytes: UnsafeRawBufferPointer) throws -> Staged {
        guard let dir = try bucket(digest, create: true) else { throw PosixError("open", path: root.pathOf(String(digest.prefix(2))), code: ENOENT) }
        let (name, fd) = try dir.createExclusive(prefix: ".\(digest.prefix(16)).part")
        defer { close(fd) }
        do {
            try FileIO.writeAll(fd, bytes, path: dir.pathOf(name))
        } catch {
            try? dir.remove(name)
            throw error
        }
        return Staged(digest: digest, name: name)
    }

    /// A chunk written but not yet under its name.
    struct Staged {
        var digest: String
        var name: String
    }

    /// Reads a staged chunk back (a file that uses one chunk twice).
    func read(_ staged: Staged, size: Int, into buffer: UnsafeMutableRawPointer) -> Bool {
        guard let dir = try? bucket(staged.digest, create: false), let fd = try? dir.openFile(staged.name, O_RDONLY) else { return false }
        defer { close(fd) }
        return FileIO.preadFully(fd, buffer, size, offset: 0)
    }

    func commit(_ staged: Staged) throws {
        guard let dir = try bucket(staged.digest, create: false) else { return }
        try dir.rename(staged.name, to: staged.digest)
        renamed.insert(String(staged.digest.prefix(2)))
    }

    func discard(_ staged: Staged) {
        try? (try? bucket(staged.digest, create: false))?.remove(staged.name)
    }

    /// Removes the chunk `digest` (found corrupt).
    func remove(_ digest: String) {
        try? (try? bucket(digest, create: false))?.remove(digest)
    }

    /// Flushes the names committed since the last call to disk.
    func syncBuckets() {
        for name in renamed { fanout[name]?.sync() }
        renamed.removeAll()
    }

    /// Records that the file at `path` (absolute) is made of `recipe`'s chunks.
    func record(_ recipe: ChunkRecipe, at path: String) throws {
        var stored = readRecipe(recipe.sha256) ?? StoredRecipe(recipe: recipe, paths: [])
        if !stored.paths.contains(path) { stored.paths.append(path) }
        let bytes = Array(try JSONEncoder().encode(stored))
        let (name, fd) = try recipes.createExclusive(prefix: ".\(recipe.sha256.prefix(16)).part")
        defer { close(fd) }
        do {
            try FileIO.writeAll(fd, bytes, path: recipes.pathOf(name))
            try recipes.rename(name, to: recipe.sha256)
        } catch {
            try? recipes.remove(name)
            throw error
        }
    }

    /// A recipe as kept: the chunks and every path it was placed at.
    struct StoredRecipe: Codable {
        var recipe: ChunkRecipe
        var paths: [String]
    }

    private func readRecipe(_ sha256: String) -> StoredRecipe? {
        guard let text = try? recipes.readText(sha256) else { return nil }
        return try? JSONDecoder().decode(StoredRecipe.self, from: Data(text.utf8))
    }

    /// Removes every chunk no retained file uses and that `keeping` does not name, and the
    /// recipes of files that are gone. A file is retained while a regular file of the
    /// recipe's size stands at one of its paths: the releases on disk, which are the ones
    /// rollback can reach (activation prunes the rest). Leftover temporary files go too.
    /// Returns how many chunks were removed and how many remain.
    func collect(keeping: Set<String>, isRetained: (String, UInt64) -> Bool) -> (removed: Int, remaining: Int) {
        var live = keeping
        for name in recipes.list() {
            if name.hasPrefix(".") {
                try? recipes.remove(name)
                continue
            }
            guard ChunkRef.isDigest(name), let stored = readRecipe(name) else {
                try? recipes.remove(name)
                continue
            }
            let kept = stored.paths.filter { isRetained($0, stored.recipe.size) }
            if kept.isEmpty {
                try? recipes.remove(name)
                continue
            }
            for chunk in stored.recipe.chunks { live.insert(chunk.sha256) }
        }
        var removed = 0
        var remaining = 0
        for bucketName in root.list() where bucketName.utf8.count == 2 {
            guard let dir = try? root.directory(bucketName), (try? dir.verify(.agentPrivate)) != nil else { continue }
            for name in dir.list() {
                if !name.hasPrefix("."), live.contains(name) {
                    remaining += 1
                    continue
                }
                try? dir.remove(name)
                if !name.hasPrefix(".") { removed += 1 }
            }
        }
        return (removed, remaining)
    }
}
