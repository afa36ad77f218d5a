#if canImport(Glibc)
import Glibc
#endif

/// `jobfleet-agent rpc`: relays JSON lines between stdin/stdout (the controller's SSH channel)
/// and the daemon's socket, starting the daemon first when none answers.
enum RPCBridge {
    /// How long to wait for a freshly started daemon to open its socket.
    static let startTimeout = 15.0

    static func run(home: String, autostart: Bool) throws -> Int32 {
        let paths = AgentPaths(home: home)
        let fd = try connectOrStart(paths, autostart: autostart)
        Glibc.signal(SIGPIPE, SIG_IGN)
        // stdin → socket on a thread; when the controller closes its side, half-close ours so
        // the daemon answers what is in flight and then closes.
        Threads.detach {
            copy(from: 0, to: fd)
            shutdown(fd, Int32(SHUT_WR))
        }
        copy(from: fd, to: 1)
        return 0
    }

    /// Connects to the daemon, starting it when nothing listens.
    static func connectOrStart(_ paths: AgentPaths, autostart: Bool) throws -> Int32 {
        // The socket is only trusted in a .jobfleet that passes the daemon's own checks: in a
        // planted one, requests (specs with their secrets) would go to whoever listens there.
        do {
            _ = try paths.openAgentDir(create: false)
            if let fd = try? UnixSocket.connect(to: paths.socket) { return fd }
        } catch let error as PosixError where error.code == ENOENT {}
        guard autostart else {
            throw BridgeError(message: "no agent answers on \(paths.socket); start it with `jobfleet-agent serve --home \(paths.home)`")
        }
        let pid = try startDaemon(paths)
        let deadline = Monotonic.now + startTimeout
        while Monotonic.now < deadline {
            if let fd = try? UnixSocket.connect(to: paths.socket) { return fd }
            if let outcome = Spawner.reap(pid) {
                // It exited: either another agent won the race for the lock (then its socket
                // appears shortly) or it failed; its output says which.
                if let fd = waitForSocket(paths, until: min(deadline, Monotonic.now + 2)) { return fd }
                let output = (try? paths.openAgentDir(create: false).readText("serve.out"))?.trimmed ?? ""
                throw BridgeError(message: "the agent daemon exited at start (\(outcome)): \(output)")
            }
            usleep(50_000)
        }
        throw BridgeError(message: "the agent daemon did not open \(paths.socket) within \(Int(startTimeout)) s; see \(paths.log)")
    }

    private static func waitForSocket(_ paths: AgentPaths, until deadline: Double) -> Int32? {
        while Monotonic.now < deadline {
            if let fd = try? UnixSocket.connect(to: paths.socket) { return fd }
            usleep(50_000)
        }
        return nil
    }

    /// Starts `jobfleet-agent serve` detached: own session, no terminal, output to a file (an
    /// open pipe to sshd would keep the SSH channel open for the daemon's whole life).
    static func startDaemon(_ paths: AgentPaths) throws -> Int32 {
        let agentDir = try paths.openAgentDir()
        guard let executable = FileIO.readLink("/proc/self/exe") else {
            throw BridgeError(message: "cannot find the agent's own executable (/proc/self/exe)")
        }
        let output = try agentDir.openFile("serve.out", O_WRONLY | O_CREAT | O_APPEND, mode: 0o600)
        defer { close(output) }
        return try Spawner.spawn(SpawnRequest(
            argv: [executable, "serve", "--home", paths.home],
            environment: Spawner.environment(adding: [:]),
            workingDirectory: "/",
            output: output))
    }

    /// Copies bytes until end of input or an error on either side.
    private static func copy(from source: Int32, to target: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in retryingOnEINTR { read(source, raw.baseAddress, raw.count) } }
            if count <= 0 { return }
            if (try? FileIO.writeAll(target, Array(buffer[0..<count]))) == nil { return }
        }
    }
}

/// The bridge could not reach the daemon.
struct BridgeError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
