/// What a release tarball may hold, member by member: regular files, folders and symlinks that
/// stay inside the one top-level `job/` folder. Everything else is refused with the reason.
enum UnpackPolicy {
    /// The folder every member of upstream's release tarball is in.
    static let top = "job"

    /// The member's path as components (`["job", "backend", …]`), after dropping empty and `.`
    /// components; nil for the archive's own root (`./`), which is skipped.
    static func components(of member: TarMember) throws(ReleaseProblem) -> [String]? {
        let path = member.path
        guard !path.isEmpty else { throw ReleaseProblem.refused(path, "its name is empty") }
        guard !path.hasPrefix("/") else { throw ReleaseProblem.refused(path, "it has an absolute path") }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        if parts.contains("..") { throw ReleaseProblem.refused(path, "its path has a '..' component") }
        guard let first = parts.first else {
            if member.kind == .directory { return nil }
            throw ReleaseProblem.refused(path, "it names the archive's root")
        }
        guard first == top else {
            throw ReleaseProblem.refused(path, "it is outside the single top-level \(top)/ folder a bk-job release holds")
        }
        if parts.count == 1 && member.kind != .directory {
            throw ReleaseProblem.refused(path, "\(top) must be a folder")
        }
        try check(member)
        return parts
    }

    /// Refuses the kinds a release never needs.
    static func check(_ member: TarMember) throws(ReleaseProblem) {
        let path = member.path
        switch member.kind {
        case .file, .directory:
            return
        case .symlink:
            try checkLink(member.linkTarget, of: path)
        case .hardLink:
            throw ReleaseProblem.refused(path, "it is a hard link (to '\(member.linkTarget)'); hard links are not unpacked")
        case .characterDevice:
            throw ReleaseProblem.refused(path, "it is a character device")
        case .blockDevice:
            throw ReleaseProblem.refused(path, "it is a block device")
        case .fifo:
            throw ReleaseProblem.refused(path, "it is a FIFO")
        case .other(let type):
            let shown = (0x21...0x7e).contains(type) ? "'\(Character(Unicode.Scalar(type)))'" : "\(type)"
            throw ReleaseProblem.refused(path, "its type \(shown) is not a file, folder or symlink")
        }
    }

    /// A symlink's target, read as written: relative, and inside `job/` from where the link is.
    /// Links through other links are checked once the whole tree is known (`ReleaseTree`).
    static func checkLink(_ target: String, of path: String) throws(ReleaseProblem) {
        guard !target.isEmpty else { throw ReleaseProblem.refused(path, "it is a symlink with an empty target") }
        guard !target.hasPrefix("/") else {
            throw ReleaseProblem.refused(path, "it is a symlink to the absolute path '\(target)'")
        }
        var stack = Array(path.split(separator: "/").map(String.init).filter { $0 != "." }.dropLast())
        for part in target.split(separator: "/") where part != "." {
            if part == ".." {
                guard stack.count > 1 else {
                    throw ReleaseProblem.refused(path, "it is a symlink to '\(target)', which leaves the release root \(top)/")
                }
                stack.removeLast()
            } else {
                stack.append(String(part))
            }
        }
    }
}
