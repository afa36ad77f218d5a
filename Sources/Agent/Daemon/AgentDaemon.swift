import CAgentSupport
import Shared
#if canImport(Glibc)
import Glibc
#endif

/// `jobfleet-agent serve`: takes the BK_HOME lock, loads the state, re-adopts or starts the
/// services, then runs the socket server, the supervisor's ticker and the wait for SIGTERM or
/// SIGINT as child tasks. Shutdown stops accepting, answers what was asked, saves the state,
/// removes the socket and the pid file, and returns. It stops the agent only: the services
/// run on in their own sessions and the next agent adopts them.
enum AgentDaemon {
    static func run(home: String) async throws {
        let paths = AgentPaths(home: home)
        // BK_HOME and .jobfleet are checked (owner, mode, no link) before anything is written:
        // the agent's files live there, and path-based writes below rely on nobody else
        // being able to change what is in .jobfleet.
        let agentDir = try paths.openAgentDir()
        _ = try paths.openScratch()
        let lock = try InstanceLock.acquire(in: agentDir)
        defer { lock.release() }
        // Probes run on short-lived threads; without a cap glibc gives busy threads their own
        // malloc arenas, which keep freed pages resident. Two arenas hold the footprint down.
        jf_limit_malloc_arenas(2)
        let log = AgentLog(path: paths.log)
        // Writes to a client that went away must fail with EPIPE, not kill the agent.
        Glibc.signal(SIGPIPE, SIG_IGN)
        let state: PersistedState
        do {
            state = try StateStore(path: paths.state).load()
        } catch {
            log.error("cannot start", ["error": String(describing: error)])
            throw error
        }
        log.info("agent starting", ["version": JobFleetVersion.current, "pid": String(getpid()), "bk_home": paths.home])
        let supervisor = Supervisor(paths: paths, log: log, state: state, consoleLimits: ConsoleLimits.fromEnvironment(log: log))
        await supervisor.bootstrap()

        let listener = try UnixSocket.listen(at: paths.socket)
        defer { unlink(paths.socket) }
        let server = RPCServer(listener: listener, handler: RequestHandler(supervisor: supervisor, log: log), log: log)
        log.info("serving", ["socket": paths.socket])
        await serve(server, supervisor: supervisor, log: log)
        await supervisor.shutdown()
        log.info("agent stopped")
    }

    /// Serves and ticks until a shutdown signal, then stops in order: the server first, so
    /// the ticker still notices the exits that answers in flight wait for; the ticker last.
    static func serve(_ server: RPCServer, supervisor: Supervisor, log: AgentLog) async {
        await withDiscardingTaskGroup { ticking in
            ticking.addTask { await SupervisorTicker(supervisor: supervisor).run() }
            await withDiscardingTaskGroup { serving in
                serving.addTask { await server.run() }
                let signal = await ShutdownSignal.next().map { String($0) } ?? "none"
                log.info("shutting down: no new requests; services keep running", ["signal": signal])
                server.stop()
                await supervisor.endWaits()
            }
            ticking.cancelAll()
        }
    }
}
