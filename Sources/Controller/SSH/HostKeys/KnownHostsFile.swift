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
    /// JobFleet processes) adding keys at once never interleave or lose a line. Under the lock
    /// the file is read again and `stillWanted` decides on what it says now: true appends,
    /// false leaves the file as it is (the line's key was recorded meanwhile), a throw refuses
    /// (another key was recorded meanwhile). Creates the file (mode 0600) and its directory
    /// (0700) when missing, as ssh does.
    static func append(line: String, to path: String, stillWanted: (String) throws -> Bool) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        beforeLock?(path)
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw KnownHostsFileError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw KnownHostsFileError(path: path, reason: String(cString: strerror(errno))) }
        let current = try contents(of: fd, path: path)
        guard try stillWanted(String(decoding: current, as: UTF8.self)) else { return }
        let endsWithNewline = current.last.map { $0 == UInt8(ascii: "\n") } ?? true
        let bytes = Array(KnownHostsText.appendix(for: line, fileEndsWithNewline: endsWithNewline).utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw KnownHostsFileError(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Called with the path just before the lock is taken; tests use it to record a key from
    /// "another run" at the worst moment. Nil in every real run.
    nonisolated(unsafe) static var beforeLock: ((String) -> Void)?

    /// Every byte of the open file, read from its start.
    private static func contents(of fd: Int32, path: String) throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(result.count)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw KnownHostsFileError(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { return result }
            result += chunk[0..<count]
        }
    }
}

/// A known_hosts file could not be read or extended.
struct KnownHostsFileError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "known_hosts file \(path): \(reason)" }
}
