import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes an unpacked release under a folder this process just created, never following a
/// symlink: every folder is opened with `O_NOFOLLOW` from the one above it, every file is created
/// with `O_EXCL | O_NOFOLLOW`. Files get 0644, or 0755 when the archive marks them executable;
/// folders 0755; owners and times are not kept. It also remembers what it wrote, so a member
/// that would replace or go through another is refused by name before any system call.
final class ReleaseTreeWriter {
    /// What is at a path of the tree.
    enum Node: Equatable {
        case directory, file
        case symlink(String)
    }

    /// Everything written, by path relative to the root (`job/backend/…`).
    private(set) var nodes: [String: Node] = [:]
    private let root: String
    private let rootFD: Int32
    /// The folder the last member went into, kept open: members mostly come folder by folder.
    private var parent: (path: String, fd: Int32)?

    /// A writer into `root`, an empty folder.
    init(root: String) throws(ReleaseProblem) {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw Self.failure("open", root) }
        self.root = root
        rootFD = fd
    }

    deinit {
        if let parent { close(parent.fd) }
        close(rootFD)
    }

    /// A folder (and any missing folder above it).
    func directory(_ parts: [String], member: String) throws(ReleaseProblem) {
        if try claim(parts, as: .directory, member: member) { _ = try folder(parts, member: member) }
    }

    /// A new file, open for writing; the caller closes it.
    func file(_ parts: [String], executable: Bool, member: String) throws(ReleaseProblem) -> Int32 {
        _ = try claim(parts, as: .file, member: member)
        let dir = try folder(Array(parts.dropLast()), member: member)
        let mode: mode_t = executable ? 0o755 : 0o644
        let fd = openat(dir, parts[parts.count - 1], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Self.failure("create", path(parts)) }
        // The umask may have taken bits away.
        guard fchmod(fd, mode) == 0 else {
            close(fd)
            throw Self.failure("set the mode of", path(parts))
        }
        return fd
    }

    /// Writes all of `bytes` to `fd`, a file of member `parts`.
    func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, _ parts: [String]) throws(ReleaseProblem) {
        var done = 0
        while done < bytes.count {
            let count = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if count < 0 {
                if errno == EINTR { continue }
                throw Self.failure("write", path(parts))
            }
            done += count
        }
    }

    /// A symlink to `target` (already checked to be relative and inside the root as written).
    func symlink(_ parts: [String], target: String, member: String) throws(ReleaseProblem) {
        _ = try claim(parts, as: .symlink(target), member: member)
        let dir = try folder(Array(parts.dropLast()), member: member)
        guard symlinkat(target, dir, parts[parts.count - 1]) == 0 else { throw Self.failure("create the symlink", path(parts)) }
    }

    /// Checks every symlink once the whole tree is known: followed through the links the
    /// archive itself holds, its target must stay inside `job/`.
    func checkLinks() throws(ReleaseProblem) {
        for (path, node) in nodes.sorted(by: { $0.key < $1.key }) {
            guard case .symlink(let target) = node else { continue }
            var stack = path.split(separator: "/").map(String.init).dropLast().map { $0 }
            var pending = target.split(separator: "/").map(String.init)
            var hops = 0
            while !pending.isEmpty {
                let part = pending.removeFirst()
                if part == "." { continue }
                if part == ".." {
                    guard stack.count > 1 else {
                        throw ReleaseProblem.refused(path, "it is a symlink to '\(target)', which leads out of the release root \(UnpackPolicy.top)/ through the symlinks the archive holds")
                    }
                    stack.removeLast()
                    continue
                }
                stack.append(part)
                if case .symlink(let next)? = nodes[stack.joined(separator: "/")] {
                    hops += 1
                    guard hops <= 40 else { throw ReleaseProblem.refused(path, "it is a symlink in a loop of symlinks") }
                    stack.removeLast()
                    pending = next.split(separator: "/").map(String.init) + pending
                }
            }
        }
    }

    /// Records `parts` as `node`; false when it is a folder already there. Refuses a member
    /// under a file or symlink, one that replaces a folder, and any other repeated path.
    private func claim(_ parts: [String], as node: Node, member: String) throws(ReleaseProblem) -> Bool {
        for count in 1..<parts.count {
            let above = parts.prefix(count).joined(separator: "/")
            switch nodes[above] {
            case .file?: throw ReleaseProblem.refused(member, "'\(above)' is a file in the archive, so nothing can be put under it")
            case .symlink?: throw ReleaseProblem.refused(member, "'\(above)' is a symlink in the archive; members are never written through one")
            case .directory?, nil: continue
            }
        }
        let key = parts.joined(separator: "/")
        switch (nodes[key], node) {
        case (nil, _):
            nodes[key] = node
            return true
        case (.directory?, .directory):
            return false
        case (.directory?, _):
            throw ReleaseProblem.refused(member, "it would replace the folder '\(key)' by a file or symlink")
        case (_?, .directory):
            throw ReleaseProblem.refused(member, "it would replace the file or symlink '\(key)' by a folder")
        case (_?, _):
            throw ReleaseProblem.refused(member, "'\(key)' appears twice in the archive")
        }
    }

    /// The open folder `parts` (the root for none), creating what is missing, 0755.
    private func folder(_ parts: [String], member: String) throws(ReleaseProblem) -> Int32 {
        let key = parts.joined(separator: "/")
        if parts.isEmpty { return rootFD }
        if let parent, parent.path == key { return parent.fd }
        var fd = rootFD
        for (index, part) in parts.enumerated() {
            var next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT {
                if mkdirat(fd, part, 0o755) != 0 && errno != EEXIST {
                    let error = Self.failure("create the folder", path(Array(parts.prefix(index + 1))))
                    if fd != rootFD { close(fd) }
                    throw error
                }
                next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if next >= 0 { fchmod(next, 0o755) }
                nodes[parts.prefix(index + 1).joined(separator: "/")] = .directory
            }
            if fd != rootFD { close(fd) }
            guard next >= 0 else { throw Self.failure("open the folder", path(Array(parts.prefix(index + 1)))) }
            fd = next
        }
        if let parent { close(parent.fd) }
        parent = (key, fd)
        return fd
    }

    private func path(_ parts: [String]) -> String { ([root] + parts).joined(separator: "/") }

    private static func failure(_ what: String, _ path: String) -> ReleaseProblem {
        ReleaseProblem("cannot \(what) \(path) while unpacking (\(String(cString: strerror(errno)))); check the release cache's disk")
    }
}
