import FoundationEssentials
import Shared
#if canImport(Glibc)
import Glibc
#endif

/// One receive session (`jobfleet-agent receive`): takes a plan of files as chunk recipes,
/// answers which chunks the store lacks, reads them from the stream and builds each file.
///
/// Each file is written to a fresh hidden name beside its destination while its SHA-256 is
/// computed over the bytes as they are written (chunks from the store and from the stream
/// alike: every byte is hashed once, as it goes by); only a match is synced, given its mode
/// and renamed onto the final path. A mismatch hashes the file's chunks one by one, removes
/// the ones the store holds wrongly and names them, so the controller sends them again.
/// Input that ends early (a cut connection) removes the file being written and any chunk
/// not yet verified: nothing appears at a final path that was not verified.
final class ChunkReceiver {
    private let paths: AgentPaths
    private let input: FrameReader
    private let reply: (ReceiveReply) -> Void
    private var store: ChunkStore!
    private var buffer: UnsafeMutableRawPointer
    private var written: UInt64 = 0

    init(paths: AgentPaths, input: FrameReader, reply: @escaping (ReceiveReply) -> Void) {
        self.paths = paths
        self.input = input
        self.reply = reply
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Chunker.maximum, alignment: 64)
    }

    deinit { buffer.deallocate() }

    func run() throws {
        guard let frame = try input.next(limit: ChunkWire.planLimit), frame.type == ChunkWire.plan else {
            throw ReceiveError("the stream did not start with a plan")
        }
        let plan: ReceivePlan
        do {
            plan = try JSONDecoder().decode(ReceivePlan.self, from: Data(frame.payload))
        } catch {
            throw ReceiveError("the plan is not valid JSON: \(error)")
        }
        let targets = try plan.files.map { try validate($0) }
        store = try ChunkStore(paths: paths)
        try store.lock()

        let recipes = plan.files.map(\.recipe)
        let wanted = ChunkSendPlan.distinctChunks(of: recipes)
        let collection = store.collect(keeping: Set(wanted.map(\.sha256)), isRetained: isRetained)
        let missing = wanted.filter { !store.has($0.sha256) }.map(\.sha256)
        reply(ReceiveReply(missing: missing))
        let sends = ChunkSendPlan(files: recipes, missing: Set(missing))
        var inline: [Int: Set<Int>] = [:]
        for item in sends.items { inline[item.file, default: []].insert(item.chunk) }

        for (index, file) in plan.files.enumerated() {
            try place(file, target: targets[index], inline: inline[index] ?? [])
        }
        guard let last = try input.next(limit: ChunkWire.dataLimit), last.type == ChunkWire.end else {
            throw ReceiveError("the stream went on past the plan's chunks")
        }
        store.syncBuckets()
        reply(ReceiveReply(done: true, stored: collection.remaining, collected: collection.removed, received: input.received,
                           written: written))
    }

    /// Where a file goes: its directory (made as needed, each step root's or the agent's,
    /// never through a link) and its name.
    private struct Target {
        var directory: DirectoryHandle
        var name: String
    }

    private func validate(_ file: ReceivePlan.File) throws -> Target {
        let recipe = file.recipe
        guard ChunkRef.isDigest(recipe.sha256) else { throw ReceiveError("\(file.path): not a sha256: \(recipe.sha256)") }
        var total: UInt64 = 0
        for chunk in recipe.chunks {
            guard ChunkRef.isDigest(chunk.sha256), chunk.size > 0, chunk.size <= Chunker.maximum else {
                throw ReceiveError("\(file.path): a chunk is not a sha256 and a size from 1 to \(Chunker.maximum)")
            }
            total += UInt64(chunk.size)
        }
        guard total == recipe.size else { throw ReceiveError("\(file.path): the chunks add up to \(total) bytes, not \(recipe.size)") }
        guard file.mode & ~0o777 == 0 else { throw ReceiveError("\(file.path): mode \(String(file.mode, radix: 8)) is not a permission mode") }
        let home = paths.home.hasSuffix("/") ? String(paths.home.dropLast()) : paths.home
        guard file.path.hasPrefix(home + "/") else { throw ReceiveError("\(file.path) is not under BK_HOME \(home)") }
        let parts = file.path.dropFirst(home.utf8.count + 1).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts.allSatisfy(Self.isSafeComponent), parts[0] != ".jobfleet" else {
            throw ReceiveError("\(file.path) is not a safe path under BK_HOME (letters, digits, . _ - and no '..'; not in .jobfleet)")
        }
        var dir = try paths.openHome()
        for part in parts.dropLast() {
            dir = try dir.directory(part, create: 0o755)
            try dir.verify(.agent)
        }
        return Target(directory: dir, name: parts[parts.count - 1])
    }

    static func isSafeComponent(_ part: String) -> Bool {
        guard !part.isEmpty, part != ".", part != "..", part.utf8.count <= 255 else { return false }
        return part.utf8.allSatisfy { c in
            (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) || c == 46 || c == 95 || c == 45
        }
    }

    /// A recipe's file is retained while a regular file of its size stands at the path.
    private func isRetained(_ path: String, _ size: UInt64) -> Bool {
        let home = paths.home.hasSuffix("/") ? String(paths.home.dropLast()) : paths.home
        guard path.hasPrefix(home + "/") else { return false }
        let parts = path.dropFirst(home.utf8.count + 1).split(separator: "/").map(String.init)
        guard let name = parts.last, parts.allSatisfy(Self.isSafeComponent),
              let dir = try? DirectoryHandle.open(home).descend(parts.dropLast().joined(separator: "/")),
              let info = dir.status(of: name) else { return false }
        return (info.st_mode & S_IFMT) == S_IFREG && UInt64(info.st_size) == size
    }

    private func place(_ file: ReceivePlan.File, target: Target, inline: Set<Int>) throws {
        let recipe = file.recipe
        let dir = target.directory
        let (temporary, fd) = try dir.createExclusive(prefix: ".\(target.name).jobfleet-part")
        var staged: [String: ChunkStore.Staged] = [:]
        var unavailable: [String] = []
        var finished = false
        defer {
            if !finished {
                close(fd)
                try? dir.remove(temporary)
                for chunk in staged.values { store.discard(chunk) }
            }
        }
        var hasher = Checksum.Hasher()
        var problem: String?
        for (index, chunk) in recipe.chunks.enumerated() {
            let bytes: UnsafeRawBufferPointer
            if inline.contains(index) {
                guard let frame = try input.next(limit: ChunkWire.dataLimit), frame.type == ChunkWire.data else {
                    throw ReceiveError("\(file.path): expected the data of chunk \(chunk.sha256)")
                }
                guard frame.payload.count == chunk.size + 32,
                      frame.payload.prefix(32).elementsEqual(ChunkWire.digestBytes(chunk.sha256) ?? []) else {
                    throw ReceiveError("\(file.path): the stream sent another chunk than \(chunk.sha256)")
                }
                bytes = UnsafeRawBufferPointer(rebasing: frame.payload[32...])
                if staged[chunk.sha256] == nil { staged[chunk.sha256] = try store.stage(chunk.sha256, bytes) }
            } else if let copy = staged[chunk.sha256], store.read(copy, size: chunk.size, into: buffer) {
                bytes = UnsafeRawBufferPointer(start: buffer, count: chunk.size)
            } else if store.read(chunk.sha256, size: chunk.size, into: buffer) {
                bytes = UnsafeRawBufferPointer(start: buffer, count: chunk.size)
            } else {
                // Gone since the session began (found corrupt in an earlier file): the file
                // cannot be built now; its inline chunks are still read and kept.
                unavailable.append(chunk.sha256)
                problem = "chunk \(chunk.sha256) is missing from the store"
                continue
            }
            if problem == nil {
                hasher.update(bytes)
                try FileIO.writeAll(fd, bytes, path: dir.pathOf(temporary))
            }
        }
        if problem == nil {
            let digest = hasher.finalizeHex()
            if digest == recipe.sha256 {
                if fsync(fd) != 0 { throw PosixError("fsync", path: dir.pathOf(temporary)) }
                if fchmod(fd, mode_t(file.mode)) != 0 { throw PosixError("chmod", path: dir.pathOf(temporary)) }
                close(fd)
                finished = true
                do {
                    try dir.rename(temporary, to: target.name)
                } catch {
                    try? dir.remove(temporary)
                    for chunk in staged.values { store.discard(chunk) }
                    throw error
                }
                dir.sync()
                for chunk in staged.values { try store.commit(chunk) }
                try store.record(recipe, at: file.path)
                written += recipe.size
                reply(ReceiveReply(placed: file.path))
                return
            }
            problem = "the assembled file has sha256 \(digest), expected \(recipe.sha256)"
        }
        // Slow path: judge each chunk on its own; keep the good new ones, drop the bad.
        close(fd)
        finished = true
        try? dir.remove(temporary)
        var corrupt = unavailable
        var judged = Set<String>()
        for chunk in recipe.chunks where judged.insert(chunk.sha256).inserted && !unavailable.contains(chunk.sha256) {
            if let copy = staged[chunk.sha256] {
                if store.read(copy, size: chunk.size, into: buffer),
                   Checksum.sha256(buffer: UnsafeRawBufferPointer(start: buffer, count: chunk.size)) == chunk.sha256 {
                    try store.commit(copy)
                } else {
                    store.discard(copy)
                    corrupt.append(chunk.sha256)
                }
            } else if !store.read(chunk.sha256, size: chunk.size, into: buffer)
                        || Checksum.sha256(buffer: UnsafeRawBufferPointer(start: buffer, count: chunk.size)) != chunk.sha256 {
                store.remove(chunk.sha256)
                corrupt.append(chunk.sha256)
            }
        }
        reply(ReceiveReply(failed: file.path, corrupt: corrupt, message: problem))
    }
}
