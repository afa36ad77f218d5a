import CAgentSupport
import Dispatch
import Shared
#if canImport(Glibc)
import Glibc
#endif

/// `jobfleet-agent serve`: takes the BK_HOME lock, loads the state, re-adopts or starts the
/// services, serves the socket and ticks the supervisor until SIGTERM. A SIGTERM stops the
/// agent only: the services run on in their own sessions and the next agent adopts them.
enum AgentDaemon {
    /// How often the supervisor looks at its services. Exits are noticed within this delay;
    /// each tick costs a few system calls per service.
    static let tickInterval: Duration = .milliseconds(500)

    static func run(home: String) async throws -> Never {
        let paths = AgentPaths(home: home)
        guard FileIO.isDirectory(paths.home) else {
            throw LockError(message: "BK_HOME \(paths.home) is not a directory: create it or pass the right --home")
        }
        try FileIO.makeDirectories(paths.agentDir, mode: 0o700)
        chmod(paths.agentDir, 0o700)
        try FileIO.makeDirectories(paths.scratch, mode: 0o700)
        let lock = try InstanceLock.acquire(paths.pidFile)
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
        let supervisor = Supervisor(paths: paths, log: log, state: state)
        await supervisor.bootstrap()

        let listener = try UnixSocket.listen(at: paths.socket)
        RPCServer(listener: listener, handler: RequestHandler(supervisor: supervisor, log: log)).start()

        let signals = [SIGTERM, SIGINT].map { number in
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                Task {
                    log.info("signal received: stopping the agent, services keep running", ["signal": String(number)])
                    await supervisor.shutdown()
                    unlink(paths.socket)
                    lock.release()
                    exit(0)
                }
            }
            source.resume()
            return source
        }
        log.info("serving", ["socket": paths.socket])
        while true {
            await supervisor.tick()
            try? await Task.sleep(for: tickInterval)
            withExtendedLifetime(signals) {}
        }
    }
}
