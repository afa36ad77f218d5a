/// Where the agent keeps its files and where it finds the services' files under BK_HOME.
struct AgentPaths: Sendable {
    /// The BK_HOME served.
    let home: String

    init(home: String) {
        var home = home
        while home.count > 1 && home.hasSuffix("/") { home.removeLast() }
        self.home = home
    }

    /// `$BK_HOME/.jobfleet`: the agent's own directory (mode 0700).
    var agentDir: String { "\(home)/.jobfleet" }
    var socket: String { "\(agentDir)/agent.sock" }
    var pidFile: String { "\(agentDir)/agent.pid" }
    var log: String { "\(agentDir)/agent.log" }
    var state: String { "\(agentDir)/state.json" }
    var scratch: String { "\(agentDir)/tmp" }

    /// `$BK_HOME/job/backend/<service>`.
    func serviceDir(_ service: String) -> String { "\(home)/job/backend/\(service)" }
    /// The jar link the upstream scripts and the catalog's command use.
    func jarLink(_ service: String) -> String { "\(serviceDir(service))/\(service).jar" }
    func releasesDir(_ service: String) -> String { "\(serviceDir(service))/releases" }
    /// `$BK_HOME/logs/job/<service>`.
    func logDir(_ service: String) -> String { "\(home)/logs/job/\(service)" }
    /// Where bk-job services write their own log when started with `-Djob.log.dir=$BK_HOME/logs/job`.
    func defaultServiceLog(_ service: String) -> String { "\(logDir(service))/\(service).log" }
    /// The service's stdout and stderr, beside its own log where operators look.
    func consoleLog(_ service: String) -> String { "\(logDir(service))/console.log" }
}

/// Checks names that become path components: no `/`, no `..`, no shell metacharacters.
enum SafeName {
    static func isValid(_ name: String) -> Bool {
        guard let first = name.first, name.count <= 128, first.isLetter || first.isNumber else { return false }
        return name.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_" || $0 == "." }
            && !name.contains("..")
    }
}
