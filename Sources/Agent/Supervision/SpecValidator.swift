import Shared

/// Checks an applied spec before the agent acts on it, with messages that name the field.
enum SpecValidator {
    static func validate(_ spec: ServiceSpec) throws(AgentFailure) {
        func fail(_ message: String) -> AgentFailure {
            AgentFailure(.badRequest, "service \(spec.name): \(message)", service: spec.name)
        }
        guard SafeName.isValid(spec.name) else {
            throw AgentFailure(.invalidName, "invalid service name \(spec.name): use letters, digits, '.', '_', '-'", service: spec.name)
        }
        guard let program = spec.command.first, !program.isEmpty else { throw fail("command must name a program") }
        if let dir = spec.workingDirectory, !dir.hasPrefix("/") { throw fail("workingDirectory must be absolute, got \(dir)") }
        if let file = spec.logFile, !file.hasPrefix("/") { throw fail("logFile must be absolute, got \(file)") }
        if let file = spec.errorLogFile, !file.hasPrefix("/") { throw fail("errorLogFile must be absolute, got \(file)") }
        if let release = spec.release, !SafeName.isValid(release) { throw fail("invalid release id \(release)") }
        if let version = spec.version,
           version.count > 100 || version.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw fail("version must be at most 100 characters without control characters")
        }
        if let user = spec.user, !Shared.SafeName.isUserName(user) {
            throw fail("user must be an account name (lower-case letters, digits, '_', '-', '.'), got \(user)")
        }
        if let openFiles = spec.openFiles, !(SpecLimits.openFiles).contains(openFiles) {
            throw fail("openFiles must be from \(SpecLimits.openFiles.lowerBound) to \(SpecLimits.openFiles.upperBound), got \(openFiles)")
        }
        guard spec.stopTimeoutSeconds >= 0 else { throw fail("stopTimeoutSeconds must not be negative") }
        let policy = spec.restart
        guard policy.initialBackoffSeconds > 0, policy.maxBackoffSeconds >= policy.initialBackoffSeconds,
              policy.maxFailures >= 1, policy.windowSeconds > 0 else {
            throw fail("restart policy needs initialBackoffSeconds > 0, maxBackoffSeconds >= it, maxFailures >= 1, windowSeconds > 0")
        }
        if let health = spec.health {
            guard health.intervalSeconds > 0, health.timeoutSeconds > 0, health.startGraceSeconds >= 0,
                  health.healthyThreshold >= 1, health.unhealthyThreshold >= 1 else {
                throw fail("health check needs intervalSeconds > 0, timeoutSeconds > 0, thresholds >= 1")
            }
            switch health.probe {
            case .tcp(_, let port) where !(1...65535).contains(port): throw fail("health port \(port) is out of range")
            case .http(let http):
                do { _ = try HTTPProbe.parse(http.url) } catch { throw fail(String(describing: error)) }
            case .command(let argv) where argv.first?.isEmpty ?? true: throw fail("health command must name a program")
            default: break
            }
        }
        try validateGates(spec.startGates, fail: fail)
    }

    /// Start gates: named services, a Consul port, or tcp/http probes (a command is not
    /// something to wait on: it would run as the agent on every check).
    private static func validateGates(_ gates: [StartGate], fail: (String) -> AgentFailure) throws(AgentFailure) {
        guard gates.count <= 16 else { throw fail("at most 16 start gates, got \(gates.count)") }
        for gate in gates {
            guard SafeName.isValid(gate.service) else { throw fail("start gate names an invalid service \(gate.service)") }
            if let consul = gate.consul {
                guard (1...65535).contains(consul.port), consul.scheme == "http" || consul.scheme == "https" else {
                    throw fail("start gate \(gate.service): Consul needs scheme http or https and a port, got \(consul.url)")
                }
            } else if gate.probes.isEmpty || gate.probes.count > 64 {
                throw fail("start gate \(gate.service) needs a Consul endpoint or 1 to 64 probes")
            }
            for probe in gate.probes {
                guard probe.timeoutSeconds > 0 else { throw fail("start gate \(gate.service): timeoutSeconds must be > 0") }
                switch probe.probe {
                case .tcp(_, let port) where !(1...65535).contains(port):
                    throw fail("start gate \(gate.service): port \(port) is out of range")
                case .http(let http):
                    do { _ = try HTTPProbe.parse(http.url) } catch { throw fail("start gate \(gate.service): \(error)") }
                case .command:
                    throw fail("start gate \(gate.service): a command cannot be a start gate; use tcp or http")
                default: break
                }
            }
        }
    }
}
