import Foundation
import Shared

/// A local file mapped into memory with its chunk recipe: what every host's stream reads
/// chunk data from. Mapped once per run however many hosts need it, so a chunk is read from
/// disk once and hashed once (when its recipe is made).
final class ChunkedFile: @unchecked Sendable {
    let path: String
    let recipe: ChunkRecipe
    /// Offset of each chunk of the recipe in the file.
    let offsets: [Int]
    private let base: UnsafeMutableRawPointer?
    private let length: Int

    private init(path: String, recipe: ChunkRecipe, base: UnsafeMutableRawPointer?, length: Int) {
        self.path = path
        self.recipe = recipe
        self.base = base
        self.length = length
        var offsets: [Int] = []
        var at = 0
        for chunk in recipe.chunks {
            offsets.append(at)
            at += chunk.size
        }
        self.offsets = offsets
    }

    deinit {
        if let base, length > 0 { munmap(base, length) }
    }

    /// The bytes of chunk `index`.
    func bytes(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base.map { UnsafeRawPointer($0) + offsets[index] }, count: recipe.chunks[index].size)
    }

    /// Maps `path`, which must be `size` bytes, and uses `recipe` when given (from the cache)
    /// or cuts and hashes the file.
    static func open(path: String, sha256: String, size: UInt64, recipe known: ChunkRecipe?,
                     strategy: Chunker.Strategy = .zipEntries) throws -> ChunkedFile {
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TransferError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { Foundation.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, UInt64(info.st_size) == size else {
            throw TransferError("\(path) is not the \(size)-byte file that was planned (it changed since); run the command again")
        }
        var base: UnsafeMutableRawPointer?
        if size > 0 {
            let mapped = mmap(nil, Int(size), PROT_READ, MAP_SHARED, fd, 0)
            guard let mapped, mapped != MAP_FAILED else {
                throw TransferError("cannot map \(path): \(String(cString: strerror(errno)))")
            }
            _ = madvise(mapped, Int(size), MADV_SEQUENTIAL)
            base = mapped
        }
        if let known, known.sha256 == sha256, known.size == size {
            return ChunkedFile(path: path, recipe: known, base: base, length: Int(size))
        }
        let whole = UnsafeRawBufferPointer(start: base, count: Int(size))
        let chunks = Chunker.cut(whole, strategy: strategy).map { span in
            ChunkRef(sha256: Checksum.sha256(buffer: UnsafeRawBufferPointer(rebasing: whole[span.offset..<span.end])), size: span.length)
        }
        return ChunkedFile(path: path, recipe: ChunkRecipe(sha256: sha256, size: size, chunks: chunks), base: base, length: Int(size))
    }
}

/// A transfer that could not be done, in words for the operator.
struct TransferError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
