import Foundation

/// Unpacked release tarballs on this machine, one entry per tarball content:
/// `<directory>/<sha256>/job/…`. An entry appears whole or not at all: a tarball is unpacked
/// into `<directory>/.<sha256>.partial-<pid>-<random>` and renamed into place; a failed unpack
/// removes its partial folder; of two processes unpacking the same tarball, the one whose rename
/// loses uses the winner's entry.
public struct ReleaseCache: Sendable {
    /// The cache folder (absolute).
    public var directory: String

    /// A cache in `directory` (created when first needed).
    public init(directory: String = ReleaseCache.defaultDirectory) {
        self.directory = directory
    }

    /// `$JOBFLEET_RELEASE_CACHE`, else `$XDG_CACHE_HOME/jobfleet/releases`
    /// (`~/.cache/jobfleet/releases`).
    public static var defaultDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let path = env["JOBFLEET_RELEASE_CACHE"], !path.isEmpty { return path }
        return "\(ControllerDirectories.cache)/releases"
    }

    /// The entry of the tarball whose content hashes to `sha256`: the one already there, or one
    /// made now by `unpack`, which fills the empty folder it is given.
    func entry(sha256: String, unpack: (String) throws -> Void) throws -> String {
        let entry = "\(directory)/\(sha256)"
        if try exists(entry) { return entry }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ReleaseProblem("cannot be unpacked: the release cache \(directory) cannot be created (\(error))")
        }
        removeAbandoned(sha256)
        let partial = "\(directory)/.\(sha256).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(partial, 0o755) == 0 else {
            throw ReleaseProblem("cannot be unpacked: \(partial) cannot be created (\(String(cString: strerror(errno))))")
        }
        do {
            try unpack(partial)
        } catch {
            Self.removeTree(partial)
            throw error
        }
        return try install(partial, as: entry)
    }

    /// Renames `partial` to `entry`; when another process got there first, drops `partial` and
    /// uses its entry.
    func install(_ partial: String, as entry: String) throws -> String {
        if rename(partial, entry) == 0 { return entry }
        let code = errno
        Self.removeTree(partial)
        if code == EEXIST || code == ENOTEMPTY, try exists(entry) { return entry }
        throw ReleaseProblem("cannot be unpacked: moving it into \(entry) failed (\(String(cString: strerror(code))))")
    }

    /// Whether a complete entry is at `entry`. Only whole entries are ever renamed there, so
    /// anything else in its place was put there by hand.
    private func exists(_ entry: String) throws(ReleaseProblem) -> Bool {
        var info = stat()
        guard lstat(entry, &info) == 0 else { return false }
        var top = stat()
        guard info.st_mode & S_IFMT == S_IFDIR, lstat("\(entry)/\(UnpackPolicy.top)", &top) == 0,
              top.st_mode & S_IFMT == S_IFDIR else {
            throw ReleaseProblem("cannot be unpacked: \(entry) is in the way and is not an unpacked release; remove it")
        }
        return true
    }

    /// Removes the partial folders of `sha256` left by processes that no longer run (killed
    /// while unpacking).
    private func removeAbandoned(_ sha256: String) {
        let prefix = ".\(sha256).partial-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count).split(separator: "-").first ?? ""),
                  kill(pid, 0) != 0 && errno == ESRCH else { continue }
            Self.removeTree("\(directory)/\(name)")
        }
    }

    /// Removes `path` and everything under it without following a symlink: a refused archive
    /// may have left one pointing anywhere.
    static func removeTree(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            unlink(path)
            return
        }
        removeContents(fd)
        close(fd)
        rmdir(path)
    }

    private static func removeContents(_ fd: Int32) {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else { return }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(dir)
        for name in names {
            let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if child >= 0 {
                removeContents(child)
                close(child)
                unlinkat(fd, name, AT_REMOVEDIR)
            } else {
                unlinkat(fd, name, 0)
            }
        }
    }
}
