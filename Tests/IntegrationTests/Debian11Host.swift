import Foundation
import TestSupport

/// A host with an older glibc than the build machine's, for the static agent: a copy of the
/// cached Debian 11 root (`scripts/debian11-root`, glibc 2.31) with /proc mounted, entered with
/// `chroot`. It shares the machine's network and pid numbers, so its services listen on a
/// loopback address and its processes are found, and killed, through /proc/PID/root.
final class Debian11Host {
    /// The copy this test owns, as the machine sees it.
    let root: String
    /// BK_HOME as the agent inside the root sees it.
    let home = "/bkhome"
    private var procMounted = false

    /// True where the test can run: as root (chroot, mount), with debootstrap to make the root.
    /// Under CI it is always true, so a missing tool fails the test instead of skipping it.
    static var available: Bool {
        if Prerequisites.isCI { return true }
        var gaps: [String] = []
        if getuid() != 0 { gaps.append("root (for chroot and mount)") }
        if Prerequisites.find("/usr/sbin/debootstrap") == nil && Prerequisites.find("debootstrap") == nil {
            gaps.append("debootstrap (apt-get install debootstrap, or run scripts/bootstrap)")
        }
        if !gaps.isEmpty {
            FileHandle.standardError.write(Data("Debian 11 root tests skipped: need \(gaps.joined(separator: ", "))\n".utf8))
        }
        return gaps.isEmpty
    }

    /// The cached root, made on first use (a few minutes, over the network).
    static let cachedRoot: Result<String, SandboxError> = {
        do {
            let made = try Command.run("/bin/bash", ["\(Sandbox.repoRoot)/scripts/debian11-root"])
            guard made.succeeded else { return .failure(SandboxError(message: "scripts/debian11-root failed: \(made.stderr)")) }
            return .success(made.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            return .failure(SandboxError(message: "cannot run scripts/debian11-root: \(error)"))
        }
    }()

    /// Copies the cached root (the cache is never written to), mounts /proc in the copy (the
    /// agent reads /proc/self/exe, /proc/PID/stat and the boot id), names `serviceAddress`
    /// in its /etc/hosts and installs `agent` as /jobfleet-agent.
    init(agent: String, hostName: String, serviceAddress: String) throws {
        let cached = try Self.cachedRoot.get()
        let base = ProcessInfo.processInfo.environment["JOBFLEET_TEST_DIR"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-tests").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        // Resolved, because /proc/PID/root, which finds the processes inside, shows it so.
        let resolved = URL(fileURLWithPath: base).resolvingSymlinksInPath().path
        root = "\(resolved)/debian11-\(UUID().uuidString.prefix(8))"
        do {
            try Self.check(Command.run("cp", ["-a", cached, root]), "copy \(cached)")
            try Self.check(Command.run("mount", ["-t", "proc", "proc", "\(root)/proc"]), "mount /proc in \(root)")
            procMounted = true
            // minbase has no /etc/hosts; the probe resolves the name through glibc's built-in files module.
            try "127.0.0.1 localhost\n\(serviceAddress) \(hostName)\n"
                .write(toFile: "\(root)/etc/hosts", atomically: true, encoding: .utf8)
            try FileManager.default.copyItem(atPath: agent, toPath: "\(root)/jobfleet-agent")
            // BK_HOME is the operator's to make; the agent only creates what is inside.
            try FileManager.default.createDirectory(atPath: "\(root)\(home)", withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o755])
        } catch {
            tearDown()
            throw error
        }
    }

    /// Runs a program inside the root.
    func run(_ program: String, _ arguments: [String]) throws -> CommandResult {
        try Command.run("/usr/sbin/chroot", [root, program] + arguments)
    }

    /// A client on `jobfleet-agent rpc` inside the root, which starts the daemon there. With
    /// `kernel`, the bridge, the daemon it starts and everything that spawns run under
    /// `strace -f`, which answers the system calls that kernel lacks with ENOSYS.
    func client(kernel: OldKernel? = nil) throws -> AgentTestClient {
        let command = ["/usr/sbin/chroot", root, "/jobfleet-agent", "rpc", "--home", home]
        let prefix = kernel.map { ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "inject=\($0.missing.joined(separator: ","))" +
            ":error=ENOSYS"] } ?? []
        let argv = prefix + command
        return try AgentTestClient(executable: Prerequisites.find(argv[0]) ?? argv[0], arguments: Array(argv.dropFirst()),
                                   agentDirectory: "\(root)\(home)/.jobfleet")
    }

    /// Processes whose root directory is this copy: the agent, the bridge and the services.
    func processes() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = Int32(entry), pid != getpid(),
                  let dir = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/root") else { return nil }
            return dir == root ? pid : nil
        }
    }

    /// Kills everything running in the copy, unmounts /proc and removes the copy. When /proc
    /// will not unmount the copy is left in place: removing it would walk into the mount.
    func tearDown() {
        for _ in 0..<50 {
            let pids = processes()
            if pids.isEmpty { break }
            pids.forEach { kill($0, SIGKILL) }
            usleep(100_000)
        }
        if procMounted {
            guard (try? Command.run("umount", ["\(root)/proc"]))?.succeeded == true else {
                FileHandle.standardError.write(Data("cannot unmount \(root)/proc; leaving \(root) in place\n".utf8))
                return
            }
            procMounted = false
        }
        _ = try? Command.run("rm", ["-rf", "--one-file-system", root])
    }

    private static func check(_ result: CommandResult, _ what: String) throws {
        guard result.succeeded else { throw SandboxError(message: "\(what) failed (\(result.status)): \(result.stderr)") }
    }
}

/// An older kernel, as far as the agent can tell: the system calls it does not have.
struct OldKernel: Sendable, CustomStringConvertible {
    var description: String
    var missing: [String]

    /// CentOS 7's kernel: Linux 3.10 lacks these, the first four of which the static agent
    /// (glibc 2.36 and the Swift runtime inside) was seen to try; the rest are what newer code
    /// is likely to reach for. Red Hat's backports are not modelled.
    static let linux310 = OldKernel(description: "Linux 3.10", missing: [
        "clone3", "close_range", "getrandom", "rseq", "statx", "openat2", "faccessat2", "pidfd_open",
        "pidfd_send_signal", "membarrier", "copy_file_range", "renameat2", "memfd_create", "epoll_pwait2",
    ])
}
