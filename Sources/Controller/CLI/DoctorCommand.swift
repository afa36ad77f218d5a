import ArgumentParser
import Foundation
import Shared

/// `jobfleet doctor`: preflight checks on every host before a rollout.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check every host: SSH and host key, agent, the services' account, Consul agent, java, free disk under BK_HOME, ports, clock skew.",
        discussion: "Exit status: 0 when every check passes (warnings allowed), 1 otherwise.")

    @OptionGroup var fleet: FleetOptions
    @Option(name: .customLong("max-skew"), help: "Largest acceptable clock difference, in seconds.")
    var maxSkew = 2.0

    enum Verdict: String { case ok = "ok", warn = "WARN", fail = "FAIL" }

    func run() async throws {
        let loaded = try fleet.loadFleet()
        let selected = try loaded.selectedHosts()
        let status = try await withFleetSession(loaded, hosts: selected, quiet: true) { session in
            let failed = await check(selected, in: session)
            return ExitCodes.combined(session.unreachable.values.map(ExitCodes.status(of:)) + [failed ? ExitCodes.failed : 0])
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Checks each host, prints the table, and says whether any check failed.
    private func check(_ selected: [FleetManifest.Host], in session: FleetSession<SSHFleetHost>) async -> Bool {
        var rows = [["HOST", "CHECK", "RESULT", "DETAIL"]]
        var failed = false
        let statuses = await session.statuses()
        for host in selected {
            var checks: [(String, Verdict, String)] = []
            guard let connected = session.hosts[host.name] else {
                checks.append(("ssh", .fail, session.unreachable[host.name].map { "\($0)" } ?? "not connected"))
                append(host, checks, to: &rows, failed: &failed)
                continue
            }
            checks.append(("ssh", .ok, "\(host.user)@\(host.address):\(host.port), host key verified"))
            let hello = connected.hello
            checks.append(("agent", hello.agent.version == JobFleetVersion.current ? .ok : .warn,
                           "jobfleet-agent \(hello.agent.version), pid \(hello.agent.pid)"))
            checks.append(accountCheck(host, connected.serviceAccount))
            if let consul = host.consul, !session.desired.instances(on: host.name).isEmpty {
                checks.append(consulCheck(consul, connected.consulAgent))
            }
            checks += javaChecks(hello.host, instances: session.desired.instances(on: host.name),
                                 runtime: session.desired.catalog.javaRuntime(for: session.desired.version))
            checks.append(diskCheck(hello.host, need: session.desired.instances(on: host.name).reduce(0) { $0 + $1.artifact.size }))
            checks.append(("memory", .ok, "\(Format.bytes(hello.host.memoryAvailableBytes)) available of \(Format.bytes(hello.host.memoryBytes)), \(hello.host.cpus) CPU(s)"))
            let running = (try? statuses[host.name]?.get().services.filter { $0.state == .running }.map(\.name)) ?? []
            checks += await portChecks(connected, instances: session.desired.instances(on: host.name), running: running)
            checks.append(await clockCheck(connected))
            append(host, checks, to: &rows, failed: &failed)
        }
        Console.line(Format.table(rows))
        return failed
    }

    private func append(_ host: FleetManifest.Host, _ checks: [(String, Verdict, String)], to rows: inout [[String]],
                        failed: inout Bool) {
        for (check, verdict, detail) in checks {
            rows.append([host.name, check, verdict.rawValue, detail])
            if verdict == .fail { failed = true }
        }
    }

    /// The account services run as must exist with its group, and be one the agent can switch to.
    private func accountCheck(_ host: FleetManifest.Host, _ facts: AccountFacts?) -> (String, Verdict, String) {
        guard let facts else { return ("run_as", .fail, "the agent did not say whether account \(host.runAs) exists") }
        if let problem = facts.problem { return ("run_as", .fail, problem) }
        let group = facts.group ?? facts.gid.map { "gid \($0) (not in /etc/group)" } ?? "?"
        return ("run_as", facts.group == nil ? .warn : .ok, "services run as \(facts.name) (uid \(facts.uid ?? 0)), group \(group)")
    }

    /// A line that needs Consul needs an agent answering on every host that runs its services.
    private func consulCheck(_ consul: ConsulEndpoint, _ facts: ConsulAgentFacts?) -> (String, Verdict, String) {
        guard let facts else {
            return ("consul", .warn, "the agent did not say whether a Consul agent answers at \(consul.url) (an older agent?)")
        }
        if let unchecked = facts.unchecked { return ("consul", .warn, unchecked) }
        if let problem = facts.problem {
            return ("consul", .fail, "\(problem); the release's services register with it and find job-config through it: "
                    + "start the host's Consul agent, or set hosts[].consul_http_port (consul.http_port) to where it listens")
        }
        return ("consul", .ok, ConsulCheck.describe(facts))
    }

    /// One row per service placed here: which java it will run (the agent's search:
    /// `$BK_HOME/service/java`, `$BK_HOME/common/java`, `java_home`, PATH), and whether the
    /// release's line accepts it. Without a stated line any java that answers passes.
    private func javaChecks(_ facts: HostFacts, instances: [DesiredInstance], runtime: JavaRuntime?) -> [(String, Verdict, String)] {
        let found = JavaCheck.describe(facts)
        guard facts.javaVersion != nil else {
            return [("java", .fail, "no java found (\(facts.javaError ?? "not found")): install one as $BK_HOME/service/java, "
                     + "set the host's java_home or put java on the agent's PATH")]
        }
        guard !instances.isEmpty else { return [("java", .ok, found)] }
        return instances.map { instance in
            let name = "java \(instance.service)"
            guard instance.spec.command.first == "java" else {
                return (name, .ok, "\(instance.spec.command.first ?? "?") (the catalog's own program; not checked)")
            }
            guard let runtime else { return (name, .ok, found) }
            if runtime.problem(found: facts.javaVersion) != nil {
                return (name, .fail, "\(found); the release needs \(runtime.needs)")
            }
            return (name, .ok, "\(found); the release needs \(runtime.needs)")
        }
    }

    private func diskCheck(_ facts: HostFacts, need: UInt64) -> (String, Verdict, String) {
        let detail = "\(Format.bytes(facts.diskFreeBytes)) free under BK_HOME; a release here takes \(Format.bytes(need))"
        if facts.diskFreeBytes < need { return ("disk", .fail, detail) }
        return ("disk", facts.diskFreeBytes < need * 3 ? .warn : .ok, detail)
    }

    /// Every placed service's port must be free, unless it is that service listening.
    private func portChecks(_ host: SSHFleetHost, instances: [DesiredInstance], running: [String]) async -> [(String, Verdict, String)] {
        guard let result = try? await host.connection.exec(RemoteCommand(["cat", "/proc/net/tcp", "/proc/net/tcp6"])),
              result.succeeded else {
            return [("ports", .warn, "could not read /proc/net/tcp")]
        }
        let listening = ListeningPorts.parse(result.stdoutText)
        var busy: [String] = []
        for instance in instances where !running.contains(instance.service) {
            if let port = Self.port(of: instance), listening.contains(port) { busy.append("\(port) (\(instance.service))") }
        }
        if busy.isEmpty { return [("ports", .ok, "every service's port is free or held by that service")] }
        return [("ports", .fail, "in use by something else: \(busy.joined(separator: ", "))")]
    }

    static func port(of instance: DesiredInstance) -> Int? {
        switch instance.spec.health?.probe {
        case .http(let http)?: return URL(string: http.url)?.port
        case .tcp(_, let port)?: return port
        default: return nil
        }
    }

    private func clockCheck(_ host: SSHFleetHost) async -> (String, Verdict, String) {
        let before = Date()
        guard let result = try? await host.connection.exec(RemoteCommand("date", "+%s.%N")), result.succeeded,
              let remote = Double(result.stdoutText.trimmingWhitespace()) else {
            return ("clock", .warn, "could not read the host's clock")
        }
        let after = Date()
        let local = (before.timeIntervalSince1970 + after.timeIntervalSince1970) / 2
        let skew = remote - local
        let detail = String(format: "%+.3f s from this machine", skew)
        return ("clock", abs(skew) > maxSkew ? .fail : .ok, detail)
    }
}

/// Listening TCP ports from /proc/net/tcp and tcp6.
enum ListeningPorts {
    static func parse(_ text: String) -> Set<Int> {
        var ports = Set<Int>()
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 3, fields[3] == "0A", let colon = fields[1].lastIndex(of: ":"),
                  let port = Int(fields[1][fields[1].index(after: colon)...], radix: 16) else { continue }
            ports.insert(port)
        }
        return ports
    }
}
