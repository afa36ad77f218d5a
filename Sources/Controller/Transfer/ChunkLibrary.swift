import Foundation
import Shared

/// The run's chunked files, shared by every host: each local file is mapped and its recipe
/// made once (or read from the recipe cache, `$XDG_CACHE_HOME/jobfleet/recipes/<sha256>`,
/// kept by file digest), whichever host asks first; the others wait for that one.
actor ChunkLibrary {
    /// The one library of this process.
    static let shared = ChunkLibrary()

    private var files: [String: Task<ChunkedFile, any Error>] = [:]
    /// Recipes are recomputed when the way files are cut changes.
    static let recipeFormat = "1-zip-entries"

    func file(path: String, sha256: String, size: UInt64) async throws -> ChunkedFile {
        let key = "\(sha256) \(path)"
        if let task = files[key] { return try await task.value }
        let task = Task.detached(priority: .userInitiated) { () throws -> ChunkedFile in
            let cached = Self.cachedRecipe(sha256)
            let file = try ChunkedFile.open(path: path, sha256: sha256, size: size, recipe: cached)
            if cached == nil { Self.remember(file.recipe) }
            return file
        }
        files[key] = task
        do {
            return try await task.value
        } catch {
            files[key] = nil
            throw error
        }
    }

    /// Forgets the mapped files (the end of a command).
    func release() {
        files.removeAll()
    }

    private static var directory: String { "\(ControllerDirectories.cache)/recipes" }

    private static func cachedRecipe(_ sha256: String) -> ChunkRecipe? {
        guard ChunkRef.isDigest(sha256),
              let data = FileManager.default.contents(atPath: "\(directory)/\(sha256)"),
              let stored = try? JSONDecoder().decode(StoredRecipe.self, from: data),
              stored.format == recipeFormat, stored.recipe.sha256 == sha256 else { return nil }
        return stored.recipe
    }

    private static func remember(_ recipe: ChunkRecipe) {
        let dir = directory
        guard (try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                         attributes: [.posixPermissions: 0o700])) != nil,
              let data = try? JSONEncoder().encode(StoredRecipe(format: recipeFormat, recipe: recipe)) else { return }
        let temporary = "\(dir)/.\(recipe.sha256).\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else { return }
        if rename(temporary, "\(dir)/\(recipe.sha256)") != 0 { unlink(temporary) }
    }

    private struct StoredRecipe: Codable {
        var format: String
        var recipe: ChunkRecipe
    }
}
