import Foundation

/// A release tarball held open while it is hashed and unpacked, so the bytes unpacked are the
/// bytes hashed: a file changed or replaced in between is an error, not a mislabelled cache entry.
final class ReleaseTarball {
    /// Absolute path, as the manifest names it.
    let path: String
    private let fd: Int32
    private let opened: stat

    /// Opens `path` and checks that it is gzip-compressed (by its first bytes, whatever its name).
    init(path: String) throws(ReleaseProblem) {
        // Checked before any property is set, so a refusal never runs `deinit`.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ReleaseProblem("cannot be read (\(String(cString: strerror(errno)))); check its permissions")
        }
        var info = stat()
        var magic: [UInt8] = [0, 0]
        guard fstat(fd, &info) == 0, pread(fd, &magic, 2, 0) == 2, magic == [0x1f, 0x8b] else {
            close(fd)
            throw ReleaseProblem("is a file but not a gzip-compressed tarball: name upstream's release tarball (job_ce-<version>.tgz) or the folder it unpacks to")
        }
        self.path = path
        self.fd = fd
        opened = info
    }

    deinit { close(fd) }

    /// Fails when the file at `path` is no longer the file opened, or was written to since.
    func checkUnchanged() throws(ReleaseProblem) {
        var now = stat()
        var current = stat()
        guard fstat(fd, &now) == 0, stat(path, &current) == 0, current.st_ino == opened.st_ino, current.st_dev == opened.st_dev,
              now.st_size == opened.st_size, now.st_mtim.tv_sec == opened.st_mtim.tv_sec,
              now.st_mtim.tv_nsec == opened.st_mtim.tv_nsec else {
            throw ReleaseProblem("changed while it was being read; wait until it is completely copied, then run again")
        }
    }

    /// Unpacks the tarball into `dir`, an empty folder: `gzip -dc` for the bytes, `TarReader`
    /// for the members, `UnpackPolicy` for what may be written, `ReleaseTreeWriter` to write it.
    /// Fails unless the result is a bk-job release (`job/VERSION` and `job/backend/`).
    func unpack(into dir: String, limits: TarLimits = TarLimits()) throws {
        lseek(fd, 0, SEEK_SET)
        let gzip = try GzipStream(fd: fd)
        defer { gzip.cancel() }
        try Self.unpack(TarReader(gzip, limits: limits), into: dir)
        try checkUnchanged()
    }

    /// Writes the members `reader` yields under `dir`.
    static func unpack(_ reader: TarReader, into dir: String) throws {
        let writer = try ReleaseTreeWriter(root: dir)
        while let member = try reader.next() {
            guard let parts = try UnpackPolicy.components(of: member) else { continue }
            switch member.kind {
            case .directory:
                try writer.directory(parts, member: member.path)
            case .symlink:
                try writer.symlink(parts, target: member.linkTarget, member: member.path)
            case .file:
                let fd = try writer.file(parts, executable: member.mode & 0o111 != 0, member: member.path)
                defer { close(fd) }
                try reader.readData { try writer.writeAll(fd, $0, parts) }
            default:
                // `components(of:)` refused every other kind already.
                throw ReleaseProblem.refused(member.path, "it is not a file, folder or symlink")
            }
        }
        try writer.checkLinks()
        let top = UnpackPolicy.top
        guard writer.nodes["\(top)/VERSION"] == .file, writer.nodes["\(top)/backend"] == .directory else {
            var missing: [String] = []
            if writer.nodes["\(top)/VERSION"] != .file { missing.append("no \(top)/VERSION file") }
            if writer.nodes["\(top)/backend"] != .directory { missing.append("no \(top)/backend/ folder") }
            throw ReleaseProblem("is not a bk-job release: it has \(missing.joined(separator: " and ")); expected upstream's job_ce-<version>.tgz (or job_ee-…), holding job/VERSION, job/backend/ and job/support-files/")
        }
    }
}
