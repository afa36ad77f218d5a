import Controller
import Foundation
import Shared
import Testing
import TestSupport

/// Hosts whose sshd is configured the way production hardens it, each a sandbox host with its
/// own sshd_config changes, on a network of their own (127.0.6).
@Suite("SSH to hardened sshd configurations", .serialized, .enabled(if: Prerequisites.runIntegration))
final class SSHHardenedHostTests {
    /// The host for each configuration, by name.
    static let settings: [String: String] = [
        "h1": "-Subsystem",                                   // no SFTP at all: the request is refused
        "h2": "Subsystem sftp /nonexistent/sftp-server",      // the subsystem's channel closes at once
        "h3": "MaxSessions 1",                                // one channel per connection
        "h4": "HostKey @HOST@/etc/ssh_host_ecdsa_key",        // no ed25519 host key offered
        "h5": "AllowTcpForwarding no;DisableForwarding yes",  // forwarding disabled
        "h6": "Banner @HOST@/etc/banner",                     // a login banner
    ]

    var sandbox = Sandbox.forSuite("ssh-hardened", network: "127.0.6")
    let scratch: String
    let cli: JobFleetCLI

    init() throws {
        try Prerequisites.require()
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-hardened-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        sandbox.sshdSettings = Self.settings
        let banner = "\(sandbox.dir)/hosts/h6/etc"
        try FileManager.default.createDirectory(atPath: banner, withIntermediateDirectories: true)
        try "Authorized use only.\nAll activity is logged.\n".write(toFile: "\(banner)/banner", atomically: true, encoding: .utf8)
        try sandbox.up(Self.settings.count)
        cli = JobFleetCLI(journal: "\(scratch)/journal.sqlite")
    }

    deinit {
        _ = try? sandbox.down()
        try? FileManager.default.removeItem(atPath: scratch)
    }

    func host(_ name: String) throws -> SandboxHost {
        try #require(sandbox.hosts.first { $0.name == name })
    }

    func target(_ host: SandboxHost, knownHosts: String? = nil) -> SSHTarget {
        SSHTarget(name: host.name, address: host.address, port: host.port, user: sandbox.user,
                  authentication: SSHAuthentication(identityFiles: [sandbox.identity], promptOnTerminal: false),
                  knownHostsPath: knownHosts ?? sandbox.knownHosts, hostKeyPolicy: .strict,
                  connectTimeout: .seconds(10), commandTimeout: .seconds(30))
    }

    /// A file of random bytes in the scratch directory.
    func randomFile(_ name: String, bytes: Int) throws -> String {
        let path = "\(scratch)/\(name)"
        let made = try Command.run("/bin/sh", ["-c", "head -c \(bytes) /dev/urandom > \(ShellQuote.word(path))"])
        guard made.succeeded else { throw SandboxError(message: made.stderr) }
        return path
    }

    /// sha256, mode and the directory's entries of `path`, as OpenSSH's own client sees them.
    func witness(_ host: SandboxHost, _ path: String) throws -> String {
        let dir = (path as NSString).deletingLastPathComponent
        let quoted = ShellQuote.word(path)
        return try sandbox.ssh(host, "sha256sum \(quoted) | cut -c1-64; stat -c %a \(quoted); ls -A \(ShellQuote.word(dir))").stdout
    }

    @Test("jobfleet copy to a host without SFTP, or whose SFTP server does not start, places the exact file with its mode, quickly")
    func copyWithoutSFTP() throws {
        let local = try randomFile("payload.bin", bytes: 3 << 20 | 12345)
        let expected = try Checksum.sha256(fileAt: local)
        let started = ContinuousClock.now
        let copy = try cli.run(["copy", "-f", sandbox.manifestPath, "--hosts", "h1,h2", "--mode", "0640", local, "job/copied/payload.bin"])
        #expect(copy.succeeded, "\(copy.stdout)\(copy.stderr)")
        #expect(ContinuousClock.now - started < .seconds(20), "the copy took \(ContinuousClock.now - started)")
        for name in ["h1", "h2"] {
            let host = try host(name)
            #expect(try witness(host, "\(host.bkHome)/job/copied/payload.bin") == "\(expected)\n640\npayload.bin\n", "\(name)")
        }
    }

    @Test("on a host without SFTP a deploy's uploads work while the agent's stream is open: batch with known digests, exact modes, replacing a file")
    func deployUploadsWithoutSFTP() async throws {
        try await uploadBesideStream(on: host("h1"))
    }

    @Test("on sshd with MaxSessions 1, uploads and commands work while a stream holds the connection's only channel")
    func maxSessionsOne() async throws {
        try await uploadBesideStream(on: host("h3"))
    }

    @Test("jobfleet copy to sshd with MaxSessions 1 places the file")
    func copyMaxSessionsOne() throws {
        let local = try randomFile("one.bin", bytes: 1 << 20)
        let expected = try Checksum.sha256(fileAt: local)
        let copy = try cli.run(["copy", "-f", sandbox.manifestPath, "--hosts", "h3", "--mode", "0600", local, "job/one/"])
        #expect(copy.succeeded, "\(copy.stdout)\(copy.stderr)")
        let host = try host("h3")
        #expect(try witness(host, "\(host.bkHome)/job/one/one.bin") == "\(expected)\n600\none.bin\n")
    }

    /// What `SSHFleetHost` does during a deploy: `jobfleet-agent rpc` stays open on a stream
    /// while jars and rendered files are uploaded and inventory scripts run on other channels.
    func uploadBesideStream(on host: SandboxHost) async throws {
        let connection = try await LibSSH2Connection.connect(to: target(host))
        let stream = try await connection.openStream(RemoteCommand("cat"))
        try await stream.write(line: "before")
        #expect(try await stream.readLine() == "before")

        let jar = try randomFile("job-manage.jar", bytes: 5 << 20)
        let jarSum = try Checksum.sha256(fileAt: jar)
        let config = "\(scratch)/application.yml"
        try "secret: one\n".write(toFile: config, atomically: true, encoding: .utf8)
        let release = "\(host.bkHome)/job/backend/job-manage/releases/\(jarSum.prefix(16))/job-manage.jar"
        let rendered = "\(host.bkHome)/etc/job/application-manage.yml"
        let results = try await connection.upload([
            UploadRequest(localPath: jar, remotePath: release, mode: 0o644, sha256: jarSum),
            UploadRequest(localPath: config, remotePath: rendered, mode: 0o600, sha256: try Checksum.sha256(fileAt: config)),
        ], timeout: nil, progress: nil)
        #expect(results.map(\.sha256) == [jarSum, try Checksum.sha256(fileAt: config)])
        try "secret: two\n".write(toFile: config, atomically: true, encoding: .utf8)
        _ = try await connection.upload(UploadRequest(localPath: config, remotePath: rendered, mode: 0o600))
        let listing = try await connection.exec(RemoteCommand(["sh", "-c", "cat \"$1\"; stat -c %a \"$1\" \"$2\"", "check", rendered, release]))
        #expect(listing.stdoutText == "secret: two\n600\n644\n", "\(listing.stderrText)")

        try await stream.write(line: "after")
        #expect(try await stream.readLine() == "after")
        _ = try await stream.close()
        #expect(try witness(host, release) == "\(jarSum)\n644\njob-manage.jar\n")
        await connection.close()
    }

    @Test("an upload that cannot be placed on a host without SFTP names the host, the path and the cause")
    func failureWithoutSFTP() async throws {
        let host = try host("h1")
        let blocker = "\(host.bkHome)/blocker-\(UUID().uuidString)"
        _ = try sandbox.ssh(host, "echo x > \(ShellQuote.word(blocker))")
        let local = try randomFile("small", bytes: 10)
        let connection = try await LibSSH2Connection.connect(to: target(host))
        await #expect {
            _ = try await connection.upload(UploadRequest(localPath: local, remotePath: "\(blocker)/file"))
        } throws: { error in
            guard let error = error as? SSHError else { return false }
            let text = error.description
            return error.kind == .remoteFile && text.contains(host.name) && text.contains(blocker)
                && text.contains("\(blocker) exists and is not a directory") && text.contains("no SFTP subsystem")
        }
        // The connection is still usable after the refused upload.
        #expect(try await connection.exec(RemoteCommand("echo", "fine")).stdoutText == "fine\n")
        await connection.close()
    }

    @Test("exec works on an ECDSA-only host, with forwarding disabled, behind a login banner, and with hashed known_hosts")
    func keepWorking() throws {
        let hashed = "\(scratch)/known_hosts_hashed"
        try FileManager.default.copyItem(atPath: sandbox.knownHosts, toPath: hashed)
        let hashing = try Command.run("ssh-keygen", ["-H", "-f", hashed])
        #expect(hashing.succeeded, "\(hashing.stderr)")
        let text = try String(contentsOfFile: hashed, encoding: .utf8)
        #expect(text.split(separator: "\n").allSatisfy { $0.hasPrefix("|1|") }, "\(text)")
        let manifest = try String(contentsOfFile: sandbox.manifestPath, encoding: .utf8)
            .replacingOccurrences(of: "known_hosts: \(sandbox.knownHosts)", with: "known_hosts: \(hashed)")
        let hashedManifest = "\(scratch)/fleet-hashed.yaml"
        try manifest.write(toFile: hashedManifest, atomically: true, encoding: .utf8)
        for (file, hosts) in [(sandbox.manifestPath, "h4,h5,h6"), (hashedManifest, "h1,h3,h4,h5,h6")] {
            let exec = try cli.run(["exec", "-f", file, "--hosts", hosts, "--json", "--", "echo ok-$(id -un)"])
            #expect(exec.succeeded, "\(file): \(exec.stdout)\(exec.stderr)")
            #expect(exec.stdout.split(separator: "\n").count == hosts.split(separator: ",").count, "\(exec.stdout)")
            #expect(exec.stdout.components(separatedBy: "ok-\(sandbox.user)").count - 1 == hosts.split(separator: ",").count,
                    "\(exec.stdout)")
        }
        // The ECDSA-only host really offers no ed25519 key: OpenSSH asking for one fails.
        let ed25519 = try Command.run("ssh", sandbox.sshArguments(try host("h4")).dropLast()
                                      + ["-o", "HostKeyAlgorithms=ssh-ed25519", try host("h4").address, "true"])
        #expect(!ed25519.succeeded)
    }
}
