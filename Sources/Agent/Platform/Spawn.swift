import CAgentSupport
#if canImport(Glibc)
import Glibc
#endif

/// What to start and how: argv, environment, working directory, where output goes.
struct SpawnRequest {
    /// Program and arguments; a program without `/` is looked up on the agent's PATH.
    var argv: [String]
    /// The child's whole environment.
    var environment: [String: String]
    /// Directory the child starts in.
    var workingDirectory: String?
    /// An open descriptor that becomes the child's stdout and stderr; nil sends them to
    /// /dev/null. The caller opens it (through a checked directory handle, never by a path
    /// that could be a planted link) and closes its own copy after the spawn.
    var output: Int32?
    /// Give the child its own session and process group, so signals aimed at the agent
    /// (a terminal's ^C, systemd's stop of the agent alone) never reach it.
    var newSession = true
    /// The account the child becomes before exec; nil keeps the agent's. Only a root agent
    /// can change it (`ServiceAccount` refuses the rest before a spawn is tried).
    var identity: ServiceIdentity?
    /// `RLIMIT_NOFILE` (soft and hard) for the child; nil keeps the agent's.
    var openFiles: Int?
}

/// How a child ended, decoded from `waitpid`'s status word.
enum ExitOutcome: Equatable {
    case exited(Int32)
    case signaled(Int32)

    init(waitStatus status: Int32) {
        if status & 0x7f == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signaled(status & 0x7f)
        }
    }
}

/// posix_spawn without Foundation's Process, which FoundationEssentials lacks.
enum Spawner {
    /// Signals the child gets back at their default action; the agent ignores or handles some
    /// of them, and ignored signals would otherwise stay ignored across exec (a JVM that
    /// ignores SIGTERM would never drain).
    private static let defaultSignals: [Int32] = [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2]

    /// Starts the process and returns its pid. Fails at once when the program cannot be
    /// executed (glibc reports exec errors back to posix_spawn).
    static func spawn(_ request: SpawnRequest) throws -> pid_t {
        guard let program = request.argv.first, !program.isEmpty else {
            throw PosixError("spawn: empty command", code: EINVAL)
        }
        // posix_spawn can set neither; those children go through fork and exec (Spawn+Identity).
        if request.identity != nil || request.openFiles != nil { return try spawnChangingIdentity(request) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let output = request.output {
            posix_spawn_file_actions_adddup2(&actions, output, 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        jf_spawn_file_actions_addclosefrom(&actions, 3)
        if let dir = request.workingDirectory {
            let result = jf_spawn_file_actions_addchdir(&actions, dir)
            if result != 0 { throw PosixError("chdir", path: dir, code: result) }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        if request.newSession { flags |= Int32(JF_POSIX_SPAWN_SETSID) }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in defaultSignals { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)

        let argv = request.argv.map { strdup($0) } + [nil]
        let envp = request.environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = program.contains("/")
            ? posix_spawn(&pid, program, &actions, &attributes, argv, envp)
            : posix_spawnp(&pid, program, &actions, &attributes, argv, envp)
        if result != 0 { throw PosixError("spawn", path: program, code: result) }
        return pid
    }

    /// Reaps `pid` if it has ended (never blocks); nil while it runs or if it is not our child.
    static func reap(_ pid: pid_t) -> ExitOutcome? {
        var status: Int32 = 0
        let result = retryingOnEINTR { waitpid(pid, &status, WNOHANG) }
        guard result == pid else { return nil }
        return ExitOutcome(waitStatus: status)
    }

    /// Runs a short command to completion, killing its process group after `timeout` seconds.
    /// Returns nil on timeout. Used for command health probes and `java -version`.
    static func runToCompletion(_ request: SpawnRequest, timeout: Double) throws -> ExitOutcome? {
        let pid = try spawn(request)
        let deadline = Monotonic.now + timeout
        var delay: useconds_t = 2_000
        while Monotonic.now < deadline {
            if let outcome = reap(pid) { return outcome }
            usleep(delay)
            delay = min(delay * 2, 50_000)
        }
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        _ = retryingOnEINTR { waitpid(pid, &status, 0) }
        return nil
    }

    /// The agent's environment with `overrides` applied.
    static func environment(adding overrides: [String: String]) -> [String: String] {
        var result: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor += 1
        }
        for (key, value) in overrides { result[key] = value }
        return result
    }
}
