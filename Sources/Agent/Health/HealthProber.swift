import Shared

/// Runs one probe of any kind, blocking; called on a probe thread. Returns nil on success,
/// else why it failed.
enum HealthProber {
    static func run(_ probe: HealthProbe, timeout: Double, environment: [String: String], workingDirectory: String?,
                    identity: ServiceIdentity? = nil) -> String? {
        switch probe {
        case .tcp(let host, let port):
            do {
                let connection = try TCPConnection.open(host: host, port: port, timeout: timeout)
                connection.close()
                return nil
            } catch {
                return String(describing: error)
            }
        case .http(let spec):
            return HTTPProbe.check(spec, timeout: timeout)
        case .command(let argv):
            var request = SpawnRequest(argv: argv, environment: environment, workingDirectory: workingDirectory)
            request.identity = identity
            do {
                switch try Spawner.runToCompletion(request, timeout: timeout) {
                case .exited(0): return nil
                case .exited(let code): return "\(argv.first ?? "command") exited \(code)"
                case .signaled(let signal): return "\(argv.first ?? "command") killed by signal \(signal)"
                case nil: return "\(argv.first ?? "command") timed out after \(timeout) s"
                }
            } catch {
                return String(describing: error)
            }
        }
    }
}
