import Foundation

/// The controller's own files (journal, checksum cache, run locks) are private to the operator:
/// files 0600 in directories 0700. The journal holds revisions and the history of every deploy,
/// so another local account must not read it.
enum PrivateFiles {
    /// Creates `path` and missing parents (0700). An existing directory owned by this user that
    /// others can read or enter is tightened to 0700 when `tighten` is set (for jobfleet's own
    /// directories, which earlier versions created 0755; never for a directory the operator named).
    static func makeDirectory(_ path: String, tighten: Bool = true) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw PrivateFileError(path: path, reason: "is not a directory")
        }
        if tighten && info.st_uid == getuid() && info.st_mode & 0o077 != 0 && chmod(path, 0o700) != 0 {
            throw PrivateFileError(path: path, reason: "cannot make it private (chmod 700): \(String(cString: strerror(errno)))")
        }
    }

    /// Makes sure the file at `path` exists with mode 0600: created so when missing, tightened
    /// when it is ours and readable by others (a journal from an earlier version).
    static func prepare(_ path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PrivateFileError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0 && info.st_uid == getuid() && info.st_mode & 0o077 != 0 && fchmod(fd, 0o600) != 0 {
            throw PrivateFileError(path: path, reason: "cannot make it private (chmod 600): \(String(cString: strerror(errno)))")
        }
    }

    /// Replaces the file at `path` with `data` atomically (temporary file, fsync, rename),
    /// mode 0600 from the moment it exists.
    static func write(_ data: Data, to path: String) throws {
        let temp = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PrivateFileError(path: temp, reason: String(cString: strerror(errno))) }
        let written = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let count = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += count
            }
            return true
        }
        let synced = written && fsync(fd) == 0
        close(fd)
        guard synced, rename(temp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw PrivateFileError(path: path, reason: reason)
        }
    }
}

/// One of the controller's private files could not be made or kept private.
struct PrivateFileError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "\(path): \(reason)" }
}
