import Foundation
import Testing
@testable import Controller

/// A connector whose hosts answer from a script, and which records how many run at once.
final class ScriptedConnector: HostConnector, @unchecked Sendable {
    private let lock = NSLock()
    private var running = 0
    private(set) var mostAtOnce = 0
    private(set) var closed: [String] = []
    let refuse: Set<String>

    init(refuse: Set<String> = []) { self.refuse = refuse }

    func connect(to target: SSHTarget) async throws -> any HostConnection {
        if refuse.contains(target.name) {
            throw SSHError(host: target.label, kind: .connectionRefused, message: "connection refused")
        }
        return ScriptedConnection(target: target, connector: self)
    }

    func enter() { lock.withLock { running += 1; mostAtOnce = max(mostAtOnce, running) } }
    func leave() { lock.withLock { running -= 1 } }
    func didClose(_ name: String) { lock.withLock { closed.append(name) } }
}

final class ScriptedConnection: HostConnection, @unchecked Sendable {
    let target: SSHTarget
    let connector: ScriptedConnector

    init(target: SSHTarget, connector: ScriptedConnector) {
        self.target = target
        self.connector = connector
    }

    func exec(_ command: RemoteCommand, timeout: Duration?) async throws -> ExecResult {
        connector.enter()
        defer { connector.leave() }
        try await Task.sleep(for: .milliseconds(20))
        let code: Int32 = command.line == "fail on h2" && target.name == "h2" ? 3 : 0
        return ExecResult(stdout: Array("\(target.name)\n".utf8), stderr: [], status: .exited(code))
    }

    func upload(_ files: [UploadRequest], timeout: Duration?, progress: UploadProgressHandler?) async throws -> [UploadResult] { [] }
    func openStream(_ command: RemoteCommand, timeout: Duration?) async throws -> any HostStream {
        throw SSHError(host: target.label, kind: .invalidRequest, message: "no streams here")
    }
    func close() async { connector.didClose(target.name) }
}

@Suite("Fan-out over hosts")
struct HostFanOutTests {
    static func targets(_ count: Int) -> [SSHTarget] {
        (1...count).map {
            SSHTarget(name: "h\($0)", address: "10.0.0.\($0)", user: "root",
                      authentication: SSHAuthentication(), knownHostsPath: "/dev/null")
        }
    }

    @Test("no more than --forks hosts run at once, results come back in host order, every connection is closed")
    func forks() async {
        let connector = ScriptedConnector()
        let outcomes = await HostFanOut(connector: connector, forks: 3).run(Self.targets(10)) {
            try await $0.exec(RemoteCommand(shell: "hostname"))
        }
        #expect(connector.mostAtOnce == 3)
        #expect(outcomes.map(\.target.name) == (1...10).map { "h\($0)" })
        #expect(outcomes.allSatisfy { (try? $0.result.get())?.stdoutText == "\($0.target.name)\n" })
        #expect(Set(connector.closed) == Set((1...10).map { "h\($0)" }))
    }

    @Test("a host that cannot be reached fails alone; exec exits 2 for it, 1 for a failed command, 0 otherwise")
    func failures() async {
        let connector = ScriptedConnector(refuse: ["h3"])
        let outcomes = await HostFanOut(connector: connector, forks: 8).run(Self.targets(4)) {
            try await $0.exec(RemoteCommand(shell: "fail on h2"))
        }
        #expect((try? outcomes[0].result.get())?.status == .exited(0))
        #expect((try? outcomes[1].result.get())?.status == .exited(3))
        #expect(outcomes[2].sshErrorKind == .connectionRefused)
        #expect((try? outcomes[3].result.get())?.succeeded == true)
        let output = ExecOutput(json: true)
        #expect(output.summarize(outcomes) == 2)
        #expect(output.summarize([outcomes[0], outcomes[1]]) == 1)
        #expect(output.summarize([outcomes[0], outcomes[3]]) == 0)
    }
}

extension HostFanOut.Outcome {
    /// The kind of SSH error this host failed with, if it did.
    var sshErrorKind: SSHError.Kind? {
        if case .failure(let error) = result { return (error as? SSHError)?.kind }
        return nil
    }
}
