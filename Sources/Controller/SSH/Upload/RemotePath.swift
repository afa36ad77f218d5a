import Shared

/// Checks and splits the remote paths JobFleet writes to.
enum RemotePath {
    /// Why `path` cannot be an upload's destination, or nil: it must be a safe absolute path
    /// (the project-wide rules of `SafeName`) that names a file.
    static func problem(_ path: String) -> String? {
        if let problem = SafeName.pathProblem(path, absolute: true) { return problem }
        if path.hasSuffix("/") || path == "/" { return "must name a file, not a directory" }
        return nil
    }

    /// Splits an absolute path into its directory and file name; nil when `problem` finds one.
    static func split(_ path: String) -> (directory: String, name: String)? {
        guard problem(path) == nil else { return nil }
        let components = path.split(separator: "/")
        let directory = "/" + components.dropLast().joined(separator: "/")
        return (directory, String(components[components.count - 1]))
    }

    /// The temporary name an upload writes to: hidden, beside the final file (so the last rename
    /// stays on one file system and is atomic), unique per upload through `token`.
    static func temporary(directory: String, name: String, token: String) -> String {
        // Keep within NAME_MAX (255 bytes) whatever the final name's length.
        var stem = name
        while stem.utf8.count > 200 { stem.removeLast() }
        let separator = directory.hasSuffix("/") ? "" : "/"
        return "\(directory)\(separator).\(stem).jobfleet-\(token).part"
    }

    /// The directories from the root down to `directory`, for creating missing parents:
    /// `/a/b` → `["/a", "/a/b"]`.
    static func ancestors(of directory: String) -> [String] {
        var paths: [String] = []
        var current = ""
        for component in directory.split(separator: "/") {
            current += "/" + component
            paths.append(current)
        }
        return paths
    }
}
