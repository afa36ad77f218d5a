import Foundation

/// Reading and appending to an OpenSSH known_hosts file without ever rewriting it.
enum KnownHostsFile {
    /// The file's text; empty when it does not exist yet (every host is then unknown).
    static func read(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { return "" }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KnownHostsFileError(path: path, reason: "cannot read it")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Appends one line under an exclusive lock, so connections to many hosts (and other
    /// JobFleet processes) adding keys at once never interleave or lose a line. Creates the
    /// file (mode 0600) and its directory (0700) when missing, as ssh does.
    static func append(line: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw KnownHostsFileError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw KnownHostsFileError(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        fstat(fd, &info)
        var last: UInt8 = UInt8(ascii: "\n")
        if info.st_size > 0 { _ = pread(fd, &last, 1, info.st_size - 1) }
        let bytes = Array(KnownHostsText.appendix(for: line, fileEndsWithNewline: last == UInt8(ascii: "\n")).utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw KnownHostsFileError(path: path, reason: String(cString: strerror(errno)))
        }
    }
}

/// A known_hosts file could not be read or extended.
struct KnownHostsFileError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "known_hosts file \(path): \(reason)" }
}
