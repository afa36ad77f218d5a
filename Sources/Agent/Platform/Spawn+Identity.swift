import CAgentSupport
#if canImport(Glibc)
import Glibc
#endif

extension Spawner {
    /// Starts a child that runs as another account or with its own open-files limit.
    ///
    /// posix_spawn has no attribute for either and glibc has no spawn-as-user, so this is fork
    /// and exec in C (`jf_spawn_as`), where the child makes only async-signal-safe calls:
    /// Swift code must never run in a forked child of a multi-threaded process. The agent
    /// itself keeps its identity; only the child changes. Every failure before exec (a limit the
    /// agent may not raise, a working directory the account cannot enter, a program it cannot
    /// run) comes back here as an error naming the step.
    static func spawnChangingIdentity(_ request: SpawnRequest) throws -> pid_t {
        let program = try resolve(request.argv[0])
        let argv = request.argv.map { strdup($0) } + [nil]
        let envp = request.environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // A non-root agent runs services only as itself (ServiceAccount refuses others), and
        // could not call setgroups anyway: it keeps its identity.
        let change = request.identity != nil && geteuid() == 0
        let groups = request.identity?.groups ?? []
        var pid: Int32 = 0
        var step: Int32 = 0
        let result: Int32 = groups.withUnsafeBufferPointer { groupList in
            program.withCString { path in
                withOptionalCString(request.workingDirectory) { directory in
                    argv.withUnsafeBufferPointer { argvList in
                        envp.withUnsafeBufferPointer { envList in
                            var params = jf_spawn_params(
                                path: path, argv: argvList.baseAddress, envp: envList.baseAddress,
                                directory: directory, output: request.output ?? -1,
                                new_session: request.newSession ? 1 : 0, change_identity: change ? 1 : 0,
                                uid: request.identity?.uid ?? 0, gid: request.identity?.gid ?? 0,
                                groups: groupList.baseAddress, group_count: Int32(groupList.count),
                                open_files: request.openFiles.map(Int64.init) ?? -1)
                            return jf_spawn_as(&params, &pid, &step)
                        }
                    }
                }
            }
        }
        if result != 0 { throw PosixError(describe(step, request), path: program, code: result) }
        return pid
    }

    /// What failed before exec, for the error.
    private static func describe(_ step: Int32, _ request: SpawnRequest) -> String {
        let who = request.identity.map { " as \($0.name)" } ?? ""
        switch Int(step) {
        case Int(JF_STEP_RLIMIT): return "spawn: setting the open-files limit to \(request.openFiles ?? 0) (the agent may not "
            + "raise its hard limit: raise the agent's LimitNOFILE, or lower nofile in the catalog or the manifest's limits)"
        case Int(JF_STEP_SETGROUPS), Int(JF_STEP_SETGID), Int(JF_STEP_SETUID): return "spawn: becoming\(who)"
        case Int(JF_STEP_CHDIR): return "spawn\(who): entering working directory \(request.workingDirectory ?? "")"
        case Int(JF_STEP_SETSID): return "spawn: setsid"
        case Int(JF_STEP_STDIO): return "spawn: setting up stdin, stdout and stderr"
        case Int(JF_STEP_EXEC): return "spawn\(who): exec"
        case Int(JF_STEP_FORK): return "spawn: fork"
        default: return "spawn"
        }
    }

    /// The program's path: as given when it holds a `/`, else the first executable file of
    /// that name on the agent's PATH, as posix_spawnp would find it.
    static func resolve(_ program: String) throws -> String {
        if program.contains("/") { return program }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + program
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        throw PosixError("spawn: not found on the agent's PATH", path: program, code: ENOENT)
    }

    private static func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let text else { return body(nil) }
        return text.withCString { body($0) }
    }
}
