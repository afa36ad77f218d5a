import Foundation
import TestSupport

/// The unprivileged local account (`nobody`) that tests use as an attacker, or as a service's
/// own user who owns its log directory: it plants files, the agent runs as root.
enum HostileAccount {
    static let name = "nobody"

    static var uid: uid_t { getpwnam(name)?.pointee.pw_uid ?? 65534 }
    static var gid: gid_t { getpwnam(name)?.pointee.pw_gid ?? 65534 }

    /// Runs `script` with `/bin/sh` as `nobody` (no supplementary groups) and throws with its
    /// output when it fails.
    static func run(_ script: String) throws {
        let result = try Command.run("setpriv", ["--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "/bin/sh", "-c", script])
        guard result.succeeded else {
            throw SandboxError(message: "as \(name): `\(script)` failed (\(result.status)): \(result.stderr)")
        }
    }

    /// Creates `path` and its missing parents as root (mode 0755), then gives the last one to
    /// `nobody`, as a service running as its own user would own its log directory.
    static func ownDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard chown(path, uid, gid) == 0, chmod(path, 0o755) == 0 else {
            throw SandboxError(message: "cannot give \(path) to \(name): \(String(cString: strerror(errno)))")
        }
    }

    /// A file only root may read or write (0600), standing for `/root/.ssh/authorized_keys`,
    /// in a root-only directory beside BK_HOME's contents.
    static func rootFile(in home: String, content: String = "ssh-ed25519 AAAAoriginal root@admin\n") throws -> String {
        let dir = "\(home)/root-only"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let path = "\(dir)/authorized_keys"
        try content.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }
}

/// `jobfleet-agent ARGS…` run to its end, with a bound that only stops a test whose agent
/// never exits (a daemon that accepted what it should refuse keeps serving).
enum AgentRun {
    struct Outcome {
        /// Exit status, or nil when it was still running at the bound and was killed.
        var status: Int32?
        var stderr: String
    }

    static func run(_ arguments: [String], within seconds: Double = 60) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: AgentTestHost.agentBinary)
        process.arguments = arguments
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-agent-run-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Foundation reaps the child itself, so its own state says when it ended.
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        let exited = !process.isRunning
        if !exited {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { usleep(50_000) }
        }
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return Outcome(status: exited ? process.terminationStatus : nil, stderr: stderr)
    }
}
