import CLibSSH2
import Foundation
import Shared

/// Uploads without SFTP: when the host's sshd offers no SFTP subsystem (a hardened
/// sshd_config without `Subsystem sftp`, or one naming a server that does not start), each file
/// goes over an exec channel to a receiver made of `sh` and coreutils, and the batch is then
/// verified and renamed by the same `UploadFinish` command as SFTP uploads use.
extension SSHSession {
    /// Whether uploads to this host can use SFTP. Asked of the host once per process and
    /// remembered per host (`SFTPAvailability`): a subsystem request that is refused, or a
    /// subsystem that ends before answering SFTP's version handshake, means no.
    func sftpOffered(until deadline: Deadline) throws -> Bool {
        if sftp != nil { return true }
        if let known = SFTPAvailability.known(for: target) { return known }
        let offered = try probeSFTP(until: deadline)
        SFTPAvailability.record(offered, for: target)
        return offered
    }

    /// Opens the sftp subsystem on a channel of our own and sends SSH_FXP_INIT: a version
    /// reply means SFTP works; a refused request or the channel ending first means it does not.
    private func probeSFTP(until deadline: Deadline) throws -> Bool {
        let channel: SSHChannel
        do {
            channel = try SSHChannel(session: self, request: "subsystem", message: "sftp", until: deadline)
        } catch let error as SSHError where error.kind == .protocolFailure && broken == nil {
            return false
        }
        // SSH_FXP_INIT (1), version 3, after its uint32 length of 5.
        let initPacket: [UInt8] = [0, 0, 0, 5, 1, 0, 0, 0, 3]
        try initPacket.withUnsafeBytes { try channel.write($0, until: deadline) }
        var reply: [UInt8] = []
        while true {
            let (progressed, wouldBlock) = try channel.readAvailable { stream, bytes in
                if stream == .stdout { reply.append(contentsOf: bytes) }
            }
            if reply.count >= 5 {
                let length = reply[0..<4].reduce(0) { $0 << 8 | Int($1) }
                if reply[4] == 2 && length >= 5 && reply.count >= 4 + length { break }
                if reply[4] != 2 { return false }
            }
            if progressed { continue }
            if channel.isAtEnd { return false }
            try channel.waitForOutput(wouldBlock: wouldBlock, until: deadline)
        }
        // The server exits at the end of its input; then the channel closes cleanly.
        try channel.sendEOF(until: deadline)
        try channel.readToEnd(until: deadline) { _, _ in }
        _ = try channel.finish(until: deadline)
        return true
    }

    /// Sends one file to `temporaryPath` through the receiver; returns its size. The receiver
    /// creates the directory (0755, like `mkdir -p`), writes the file new (`O_EXCL`) under
    /// umask 077, syncs it (`dd conv=fsync`) and gives it its exact mode.
    func sendOverExec(_ request: UploadRequest, directory: String, temporaryPath: String, index: Int,
                      stallTimeout: Duration?, progress: UploadProgressHandler?) throws -> UInt64 {
        let local = request.localPath
        let fd = Foundation.open(local, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SSHError(host: target.label, kind: .invalidRequest, message: "cannot read \(local): \(String(cString: strerror(errno)))")
        }
        defer { Foundation.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw SSHError(host: target.label, kind: .invalidRequest, message: "\(local) is not a regular file")
        }
        let size = UInt64(info.st_size)
        let mode = String(request.mode & 0o7777, radix: 8)
        let command = RemoteCommand(["sh", "-c", Self.receiver, "receive", directory, temporaryPath, mode])
        var deadline = Deadline.after(stallTimeout, .transfer)
        let channel = try SSHChannel(session: self, command: command, until: deadline)
        var stderr: [UInt8] = []
        let collect: (SSHChannel.Stream, UnsafeRawBufferPointer) -> Void = { stream, bytes in
            if stream == .stderr && stderr.count < 64 << 10 { stderr.append(contentsOf: bytes) }
        }
        let chunk = 256 << 10
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        var sent: UInt64 = 0
        var reported: UInt64 = 0
        while sent < size {
            _ = try channel.readAvailable(collect)
            // The receiver ended early (it could not create the file): stop sending, report why.
            if channel.isAtEnd { break }
            let got = pread(fd, buffer, min(chunk, Int(size - sent)), off_t(sent))
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else {
                throw SSHError(host: target.label, kind: .invalidRequest,
                               message: "\(local) could not be read to the end (it shrank or failed while uploading)")
            }
            try channel.write(UnsafeRawBufferPointer(start: buffer, count: got), until: deadline)
            sent += UInt64(got)
            deadline = .after(stallTimeout, .transfer)
            if let progress, sent - reported >= 1 << 20 || sent == size {
                reported = sent
                progress(UploadProgress(fileIndex: index, bytesDone: sent, bytesTotal: size))
            }
        }
        if size == 0, let progress { progress(UploadProgress(fileIndex: index, bytesDone: 0, bytesTotal: 0)) }
        if !channel.isAtEnd { try channel.sendEOF(until: deadline) }
        try channel.readToEnd(until: deadline, collect)
        let status = try channel.finish(until: deadline)
        guard status.succeeded, sent == size else {
            let reason = String(decoding: stderr, as: UTF8.self).trimmingWhitespace()
            throw SSHError(host: target.label, kind: .remoteFile,
                           message: "cannot write \(temporaryPath) for \(request.remotePath) (\(status)): \(reason.isEmpty ? "no message" : reason)",
                           hint: "the host's sshd offers no SFTP subsystem, so files go through sh, mkdir, dd and chmod; check that \(target.user) may write there")
        }
        return size
    }

    /// `receive DIR TMP MODE`, with the file on standard input. The nearest existing folder of
    /// DIR must be a directory, as the SFTP path checks.
    static let receiver = """
        d=$1
        while [ -n "$d" ]; do
          if [ -e "$d" ] || [ -L "$d" ]; then
            [ -d "$d" ] || { printf '%s exists and is not a directory\n' "$d" >&2; exit 1; }
            break
          fi
          d=${d%/*}
        done
        umask 022
        mkdir -p -- "$1" || exit 1
        umask 077
        dd of="$2" conv=fsync,excl status=none || { rm -f -- "$2"; exit 1; }
        chmod -- "$3" "$2" || { rm -f -- "$2"; exit 1; }
        """

    /// Best-effort removal of temporary files over exec, for hosts without SFTP.
    func removeOverExec(_ paths: [String]) {
        guard broken == nil, !paths.isEmpty else { return }
        _ = try? exec(RemoteCommand(["rm", "-f", "--"] + paths), timeout: .seconds(5))
    }
}

/// Which hosts (address and port) offer SFTP, as found by this process.
enum SFTPAvailability {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var hosts: [String: Bool] = [:]

    private static func key(_ target: SSHTarget) -> String { "\(target.address):\(target.port)" }

    static func known(for target: SSHTarget) -> Bool? {
        lock.withLock { hosts[key(target)] }
    }

    static func record(_ offered: Bool, for target: SSHTarget) {
        lock.withLock { hosts[key(target)] = offered }
    }
}
