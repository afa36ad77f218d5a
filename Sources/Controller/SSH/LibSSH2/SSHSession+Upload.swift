import CLibSSH2
import Foundation

extension SSHSession {
    /// Uploads `files` as `HostConnection.upload` describes: each to a temporary name beside its
    /// destination over pipelined SFTP, synced and given its exact mode; then one command on the
    /// host hashes every temporary file and renames each onto its final path only if it matches.
    /// On any failure the temporary files still on the host are removed (when the connection
    /// still works); nothing is ever written under a final name before it is verified.
    /// - Parameter digests: the SHA-256 of files whose request has none, being computed
    ///   meanwhile on another thread; needed only once every byte is sent.
    func upload(_ files: [UploadRequest], digests: PendingDigests, stallTimeout: Duration?,
                progress: UploadProgressHandler?) throws -> [UploadResult] {
        try ensureUsable()
        let plans = try files.map { try plan($0) }
        var leftovers: [String] = []
        let useSFTP = try sftpOffered(until: .after(stallTimeout, .transfer))
        do {
            var sizes: [UInt64] = []
            for (index, plan) in plans.enumerated() {
                leftovers.append(plan.temporaryPath)
                if useSFTP {
                    try makeDirectories(plan.directory, until: .after(stallTimeout, .transfer))
                    sizes.append(try send(plan, index: index, stallTimeout: stallTimeout, progress: progress))
                } else {
                    sizes.append(try sendOverExec(plan.request, directory: plan.directory, temporaryPath: plan.temporaryPath,
                                                  index: index, stallTimeout: stallTimeout, progress: progress))
                }
            }
            let expected: [String]
            do {
                expected = zip(files, try digests.wait()).map { $0.sha256 ?? $1 ?? "" }
            } catch {
                throw SSHError(host: target.label, kind: .invalidRequest, message: "\(error)")
            }
            try finish(plans, expected: expected, stallTimeout: stallTimeout)
            return plans.indices.map {
                UploadResult(remotePath: plans[$0].request.remotePath, bytes: sizes[$0], sha256: expected[$0])
            }
        } catch {
            if useSFTP { removeLeftovers(leftovers) } else { removeOverExec(leftovers) }
            throw error
        }
    }

    /// An upload's names, settled before any byte is sent.
    private struct Plan {
        var request: UploadRequest
        var directory: String
        var temporaryPath: String
    }

    private func plan(_ request: UploadRequest) throws -> Plan {
        guard let (directory, name) = RemotePath.split(request.remotePath) else {
            throw SSHError(host: target.label, kind: .invalidRequest,
                           message: "cannot upload to '\(request.remotePath)': it \(RemotePath.problem(request.remotePath) ?? "is not a file path")")
        }
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return Plan(request: request, directory: directory,
                    temporaryPath: RemotePath.temporary(directory: directory, name: name, token: token))
    }

    /// The SFTP subsystem of this session, started on first use.
    private func sftpSession(until deadline: Deadline) throws -> OpaquePointer {
        if let sftp { return sftp }
        var refusedSince: ContinuousClock.Instant?
        do {
            while true {
                do {
                    let opened = try open("starting SFTP", until: deadline) { libssh2_sftp_init(raw) }
                    sftp = opened
                    return opened
                } catch let error as SSHError where error.kind == .protocolFailure && libssh2_session_last_errno(raw) == LIBSSH2_ERROR_CHANNEL_FAILURE {
                    if mayRetryRefusal(since: &refusedSince, until: deadline) { continue }
                    throw ChannelRefused(error: error, openChannels: openChannels)
                }
            }
        } catch let error as SSHError where error.kind == .protocolFailure {
            throw SSHError(host: target.label, kind: .remoteFile, message: error.message,
                           hint: "the host's sshd must offer the sftp subsystem (Subsystem sftp in sshd_config)")
        }
    }

    /// Creates `directory` and its missing parents (mode 0755), like `mkdir -p`.
    private func makeDirectories(_ directory: String, until deadline: Deadline) throws {
        let sftp = try sftpSession(until: deadline)
        if try isDirectory(directory, sftp: sftp, until: deadline) { return }
        for path in RemotePath.ancestors(of: directory) where try !isDirectory(path, sftp: sftp, until: deadline) {
            let code = try sftpCall(until: deadline) { libssh2_sftp_mkdir_ex(sftp, path, UInt32(path.utf8.count), 0o755) }
            // Another upload may have created it meanwhile; only a directory that is still
            // missing is a failure.
            if code != 0, try !isDirectory(path, sftp: sftp, until: deadline) {
                throw SSHError(host: target.label, kind: .remoteFile,
                               message: "cannot create directory \(path): \(SFTPStatus.describe(libssh2_sftp_last_error(sftp)))",
                               hint: "check that \(target.user) may write to its parent")
            }
        }
    }

    /// True for a directory, false when missing; throws when something else is in the way.
    private func isDirectory(_ path: String, sftp: OpaquePointer, until deadline: Deadline) throws -> Bool {
        var attributes = LIBSSH2_SFTP_ATTRIBUTES()
        let code = try sftpCall(until: deadline) {
            libssh2_sftp_stat_ex(sftp, path, UInt32(path.utf8.count), LIBSSH2_SFTP_STAT, &attributes)
        }
        if code != 0 {
            let status = libssh2_sftp_last_error(sftp)
            if SFTPStatus.isMissing(status) { return false }
            throw SSHError(host: target.label, kind: .remoteFile, message: "cannot look at \(path): \(SFTPStatus.describe(status))")
        }
        if attributes.permissions & UInt(LIBSSH2_SFTP_S_IFMT) != UInt(LIBSSH2_SFTP_S_IFDIR) {
            throw SSHError(host: target.label, kind: .remoteFile, message: "\(path) exists and is not a directory",
                           hint: "move it out of the way or choose another destination")
        }
        return true
    }

    /// `call` for SFTP requests whose failure status the caller wants to judge: returns the
    /// code instead of throwing on an SFTP status error.
    private func sftpCall(until deadline: Deadline, _ body: () -> Int32) throws -> Int32 {
        while true {
            let code = body()
            if code == LIBSSH2_ERROR_SFTP_PROTOCOL { return code }
            if let result = try check(code, "an SFTP request") { return result }
            try waitForSocket(until: deadline, doing: "waiting for the SFTP server")
        }
    }

    /// Sends one file to its temporary name; returns its size.
    private func send(_ plan: Plan, index: Int, stallTimeout: Duration?, progress: UploadProgressHandler?) throws -> UInt64 {
        let local = plan.request.localPath
        let fd = Foundation.open(local, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SSHError(host: target.label, kind: .invalidRequest, message: "cannot read \(local): \(String(cString: strerror(errno)))")
        }
        defer { Foundation.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw SSHError(host: target.label, kind: .invalidRequest, message: "\(local) is not a regular file")
        }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        let size = UInt64(info.st_size)
        let temporary = plan.temporaryPath
        var deadline = Deadline.after(stallTimeout, .transfer)
        let sftp = try sftpSession(until: deadline)
        let flags = UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL)
        let file = try open("creating \(temporary)", until: deadline) {
            libssh2_sftp_open_ex(sftp, temporary, UInt32(temporary.utf8.count), flags, 0o600, LIBSSH2_SFTP_OPENFILE)
        }
        var closed = false
        defer {
            if !closed && broken == nil {
                _ = try? call("closing \(temporary)", until: .after(.seconds(5), .cleanup)) { libssh2_sftp_close_handle(file) }
            }
        }

        var window = UploadWindow(fileSize: size)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: window.capacity, alignment: 4096)
        defer { buffer.deallocate() }
        var reported: UInt64 = 0
        transfer: while true {
            switch window.next {
            case .read(let offset, let fileOffset, let count):
                let got = pread(fd, buffer + offset, count, off_t(fileOffset))
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else {
                    throw SSHError(host: target.label, kind: .invalidRequest,
                                   message: "\(local) could not be read to the end (it shrank or failed while uploading)")
                }
                window.didRead(got)
            case .compact(let from, let count):
                memmove(buffer, buffer + from, count)
                window.didCompact()
            case .write(let offset, let count):
                let code = libssh2_sftp_write(file, buffer.assumingMemoryBound(to: CChar.self) + offset, count)
                guard let sent = try check(code, "writing \(temporary)") else {
                    try waitForSocket(until: deadline, doing: "sending \(local)")
                    continue
                }
                if sent == 0 {
                    try pause(until: deadline, doing: "sending \(local)")
                    continue
                }
                window.acknowledge(sent)
                deadline = .after(stallTimeout, .transfer)
                // About every MiB: often enough for a progress bar, rare enough to cost nothing.
                if let progress, window.acknowledged - reported >= 1 << 20 || window.acknowledged == size {
                    reported = window.acknowledged
                    progress(UploadProgress(fileIndex: index, bytesDone: reported, bytesTotal: size))
                }
            case .done:
                break transfer
            }
        }
        if size == 0, let progress { progress(UploadProgress(fileIndex: index, bytesDone: 0, bytesTotal: 0)) }

        try call("syncing \(temporary) to disk", until: deadline) { libssh2_sftp_fsync(file) }
        var attributes = LIBSSH2_SFTP_ATTRIBUTES()
        attributes.flags = UInt(LIBSSH2_SFTP_ATTR_PERMISSIONS)
        attributes.permissions = UInt(plan.request.mode & 0o7777)
        try call("setting the mode of \(temporary)", until: deadline) {
            libssh2_sftp_fstat_ex(file, &attributes, LIBSSH2_SFTP_SETSTAT)
        }
        closed = true
        try call("closing \(temporary)", until: deadline) { libssh2_sftp_close_handle(file) }
        return size
    }

    /// Hashes every temporary file on the host and renames the ones that match, in one command.
    private func finish(_ plans: [Plan], expected: [String], stallTimeout: Duration?) throws {
        let items = zip(plans, expected).map {
            UploadFinish.Item(temporaryPath: $0.temporaryPath, finalPath: $0.request.remotePath, sha256: $1, group: $0.request.group)
        }
        let result = try exec(UploadFinish.command(for: items), timeout: stallTimeout)
        guard let outcomes = UploadFinish.parse(result.stdoutText, count: items.count) else {
            throw SSHError(host: target.label, kind: .remoteFile,
                           message: "could not verify the upload on the host (\(result.status)): \(result.stderrText.trimmingWhitespace())",
                           hint: "the host needs sha256sum and mv from GNU coreutils")
        }
        for (item, outcome) in zip(items, outcomes) {
            switch outcome {
            case .placed:
                continue
            case .mismatch(let actual):
                throw SSHError(host: target.label, kind: .verificationFailed,
                               message: "upload of \(item.finalPath) arrived with sha256 \(actual), expected \(item.sha256); nothing was placed",
                               hint: "the local file may have changed while it was sent; copy it again")
            case .unreadable:
                throw SSHError(host: target.label, kind: .remoteFile,
                               message: "could not read back the uploaded copy of \(item.finalPath) on the host; nothing was placed")
            case .renameFailed:
                throw SSHError(host: target.label, kind: .remoteFile,
                               message: "verified upload could not be renamed onto \(item.finalPath): \(result.stderrText.trimmingWhitespace())",
                               hint: "a directory may stand at that path, or the directory is not writable")
            case .groupFailed:
                throw SSHError(host: target.label, kind: .remoteFile,
                               message: "verified upload of \(item.finalPath) could not be given to group \(item.group ?? ""): "
                                   + "\(result.stderrText.trimmingWhitespace()); nothing was placed",
                               hint: "the login user \(target.user) may chgrp only to groups it is in: log in as root, "
                                   + "or add \(target.user) to that group, or run the services as the login user (run_as)")
            }
        }
    }

    /// Best-effort removal of temporary files after a failure, bounded to a few seconds; a
    /// broken connection leaves them (hidden `.NAME.jobfleet-*.part` files beside the target).
    private func removeLeftovers(_ paths: [String]) {
        guard broken == nil, let sftp, !paths.isEmpty else { return }
        let deadline = Deadline.after(.seconds(5), .cleanup)
        for path in paths {
            _ = try? sftpCall(until: deadline) { libssh2_sftp_unlink_ex(sftp, path, UInt32(path.utf8.count)) }
        }
    }
}
