import Controller
import Foundation
import Shared
import Testing
import TestSupport

extension SSHIntegration {
    @Suite("Uploads")
    final class Uploads {
        let fleet: SSHFleet
        init() throws { fleet = try SSHFleet() }

        /// A file of `megabytes` random MiB in the scratch directory.
        func randomFile(_ name: String, megabytes: Int) throws -> String {
            let path = "\(fleet.scratch)/\(name)"
            let made = try Command.run("/bin/sh", ["-c", "head -c \(megabytes << 20) /dev/urandom > \(ShellQuote.word(path))"])
            guard made.succeeded else { throw SandboxError(message: made.stderr) }
            return path
        }

        @Test("a 200 MiB upload arrives with the right sha256 and exact mode, parents created, nothing else left")
        func largeUpload() async throws {
            let host = fleet.hosts[0]
            let local = try randomFile("big.bin", megabytes: 200)
            let expected = try Checksum.sha256(fileAt: local)
            let remote = "\(host.bkHome)/job/backend/job-manage/releases/\(UUID().uuidString)/job-manage.jar"
            let connection = try await fleet.connect(host)
            defer { Task { await connection.close() } }
            let result = try await connection.upload(UploadRequest(localPath: local, remotePath: remote, mode: 0o640))
            #expect(result.sha256 == expected)
            #expect(result.bytes == 200 << 20)
            // Checked by OpenSSH, independently of the transport under test.
            let check = try fleet.witness(host, "sha256sum \(remote) | cut -c1-64; stat -c %a \(remote); ls -A \((remote as NSString).deletingLastPathComponent)")
            #expect(check.stdout == "\(expected)\n640\njob-manage.jar\n", "\(check.stderr)")
        }

        @Test("an existing file is replaced atomically by a verified upload; a batch places every file")
        func replaceAndBatch() async throws {
            let host = fleet.hosts[1]
            let dir = "\(host.bkHome)/etc/job-\(UUID().uuidString)"
            let connection = try await fleet.connect(host)
            defer { Task { await connection.close() } }
            var requests: [UploadRequest] = []
            for index in 0..<3 {
                let local = "\(fleet.scratch)/conf\(index).yml"
                try "version: 1\nindex: \(index)\n".write(toFile: local, atomically: true, encoding: .utf8)
                requests.append(UploadRequest(localPath: local, remotePath: "\(dir)/application-\(index).yml", mode: 0o600))
            }
            _ = try await connection.upload(requests, timeout: nil, progress: nil)
            try "version: 2\n".write(toFile: requests[0].localPath, atomically: true, encoding: .utf8)
            _ = try await connection.upload(requests[0])
            let check = try fleet.witness(host, "cat \(dir)/application-0.yml; ls -A \(dir); stat -c %a \(dir)/application-2.yml")
            #expect(check.stdout == "version: 2\napplication-0.yml\napplication-1.yml\napplication-2.yml\n600\n")
        }

        @Test("cutting the connection mid-upload leaves nothing at the final path")
        func interrupted() async throws {
            let host = fleet.hosts[2]
            let local = try randomFile("cut.bin", megabytes: 200)
            let remote = "\(host.bkHome)/job/backend/job-execute/job-execute.jar"
            let listener = try fleet.listenerPid(host)
            let cut = CutOnce()
            let connection = try await fleet.connect(host)
            defer { Task { await connection.close() } }
            await #expect {
                _ = try await connection.upload(UploadRequest(localPath: local, remotePath: remote)) { progress in
                    // A quarter of the way in, every sshd process serving this host dies.
                    if progress.bytesDone >= progress.bytesTotal / 4, cut.first() {
                        for pid in SSHFleet.descendants(of: listener) { kill(pid, SIGKILL) }
                    }
                }
            } throws: { error in
                (error as? SSHError)?.kind == .connectionLost
            }
            #expect(cut.happened)
            let check = try fleet.witness(host, "test -e \(remote) && echo present || echo absent")
            #expect(check.stdout == "absent\n")
        }

        @Test("a file standing where a directory must be is reported with the path and what to do")
        func parentIsAFile() async throws {
            let host = fleet.hosts[3]
            let blocker = "\(host.bkHome)/blocker-\(UUID().uuidString)"
            _ = try fleet.witness(host, "echo x > \(blocker)")
            let local = "\(fleet.scratch)/small"
            try "x".write(toFile: local, atomically: true, encoding: .utf8)
            let connection = try await fleet.connect(host)
            defer { Task { await connection.close() } }
            await #expect {
                _ = try await connection.upload(UploadRequest(localPath: local, remotePath: "\(blocker)/file"))
            } throws: { error in
                guard let error = error as? SSHError else { return false }
                return error.kind == .remoteFile && error.message.contains(blocker) && error.message.contains("not a directory")
            }
        }
    }
}

/// Lets a progress handler act once, from the transport's thread.
final class CutOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    /// True the first time only.
    func first() -> Bool {
        lock.withLock {
            defer { done = true }
            return !done
        }
    }

    var happened: Bool { lock.withLock { done } }
}
