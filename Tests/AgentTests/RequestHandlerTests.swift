import Foundation
import Testing
@testable import Agent
@testable import Shared

@Suite("Requests in, responses out")
struct RequestHandlerTests {
    func handle(_ lines: [String], home: borrowing TempHome) async -> [AgentResponse] {
        let log = AgentLog(path: home.paths.log)
        let handler = RequestHandler(supervisor: Supervisor(paths: home.paths, log: log, state: PersistedState()), log: log)
        var responses: [AgentResponse] = []
        for line in lines { responses.append(await handler.handle(Array(line.utf8))) }
        return responses
    }

    @Test("malformed and unknown requests get error responses, and the next request is served", arguments: [
        ("{not json", nil, "malformed"),
        (#"[1,2]"#, nil, "malformed"),
        (#"{"id":"1","method":"status"}"#, "1", "bad_request"),
        (#"{"v":9,"id":"2","method":"status"}"#, "2", "unsupported_version"),
        (#"{"v":1,"method":"status"}"#, nil, "bad_request"),
        (#"{"v":1,"id":"3","method":"reboot"}"#, "3", "unknown_method"),
        (#"{"v":1,"id":"4","method":"stop","params":{},"fence":1}"#, "4", "bad_request"),
        (#"{"v":1,"id":"5","method":"stop","params":{"services":["job-x"]},"fence":1}"#, "5", "unknown_service"),
        (#"{"v":1,"id":"6","method":"logs","params":{"service":"../../etc"}}"#, "6", "invalid_name"),
        (#"{"v":1,"id":"7","method":"logs","params":{"service":"job-x","grep":"(("}}"#, "7", "bad_request"),
        (#"{"v":1,"id":"8","method":"apply","params":{"services":[{"name":"a b","command":["x"]}]},"fence":1}"#, "8", "invalid_name"),
        (#"{"v":1,"id":"9","method":"apply","params":{"services":[{"name":"a","command":[]}]},"fence":1}"#, "9", "bad_request"),
        (#"{"v":1,"id":"10","method":"start","params":{"services":["a"]},"fence":5}"#, "10", "stale_fence"),
        (#"{"v":1,"id":"11","method":"apply","params":{"services":[{"name":"a","command":["x"],"version":"3.12\u001b[2J"}]},"fence":1}"#, "11", "bad_request"),
        (#"{"v":1,"id":"12","method":"start","params":{"services":["a"]}}"#, "12", "fence_required"),
        (#"{"v":1,"id":"13","method":"apply","params":{"services":[{"name":"a","command":["x"]}]}}"#, "13", "fence_required"),
        (#"{"v":1,"id":"14","method":"activate","params":{"service":"a","release":"r1"}}"#, "14", "fence_required"),
    ] as [(String, String?, String)])
    func errors(line: String, id: String?, code: String) async throws {
        let home = try TempHome()
        // The lease (token 1) is held, so a changing request fails for its own reason, not for
        // coming without the lease, unless it carries no fence or a stale one.
        let responses = await handle([Self.acquire, line, #"{"v":1,"id":"next","method":"status"}"#], home: home)
        #expect(responses[0].failure == nil, "\(responses[0])")
        #expect(responses[1].id == id)
        #expect(responses[1].failure?.code.rawValue == code, "\(responses[1])")
        #expect(responses[2].id == "next")
        #expect(responses[2].failure == nil)
    }

    static let acquire = #"{"v":1,"id":"lease","method":"lease","params":{"action":"acquire","owner":"alice@bastion jobfleet deploy"}}"#

    @Test("a changing request without the lease's token is refused even when nobody holds the lease, and names the holder when one does")
    func fenceRequired() async throws {
        let home = try TempHome()
        let apply = #"{"v":1,"id":"a","method":"apply","params":{"services":[{"name":"a","command":["/bin/true"]}]}}"#
        let unleased = await handle([apply], home: home)[0]
        #expect(unleased.failure?.code == .fenceRequired, "\(unleased)")
        #expect(unleased.failure?.message.contains("needs the deployment lease") == true)
        let leased = await handle([Self.acquire, apply], home: try TempHome())
        #expect(leased[1].failure?.code == .fenceRequired)
        #expect(leased[1].failure?.lease?.owner == "alice@bastion jobfleet deploy")
        let fenced = await handle([Self.acquire, apply.replacingOccurrences(of: #""id":"a","#, with: #""id":"a","fence":1,"#)],
                                  home: try TempHome())
        #expect(fenced[1].failure == nil, "\(fenced[1])")
    }

    @Test("a missing field is named by its path")
    func fieldPath() async throws {
        let home = try TempHome()
        let response = await handle([#"{"v":1,"id":"1","method":"apply","params":{"services":[{"name":"a"}]}}"#], home: home)[0]
        #expect(response.failure?.message.contains("params.services[0].command: missing") == true, "\(response)")
    }

    @Test("hello gives the host's revision key: 64 hex digits, persisted, the same after the agent restarts")
    func revisionKey() async throws {
        let home = try TempHome()
        let first = await handle([#"{"v":1,"id":"1","method":"hello"}"#], home: home)[0]
        guard case .hello(let hello) = first.body, let key = hello.agent.revisionKey else {
            Issue.record("no revision key in \(first)")
            return
        }
        #expect(key.count == 64 && key.allSatisfy(\.isHexDigit))
        let saved = try StateStore(path: home.paths.state).load()
        #expect(saved.revisionKey == key)
        let log = AgentLog(path: home.paths.log)
        let restarted = Supervisor(paths: home.paths, log: log, state: saved)
        #expect(await restarted.hello().agent.revisionKey == key)
        let elsewhere = await handle([#"{"v":1,"id":"1","method":"hello"}"#], home: try TempHome())[0]
        guard case .hello(let other) = elsewhere.body else { return }
        #expect(other.agent.revisionKey != key, "each host has its own key")
    }

    @Test("status reports the release version a process was started with; a record from an older agent has none")
    func statusVersion() async throws {
        let home = try TempHome()
        var record = ServiceRecord(spec: ServiceSpec(name: "job-manage", command: ["java"]))
        record.spec.version = "3.12.4"
        record.process = ProcessRecord(pid: getpid(), startTicks: 1, startedAt: Date(), release: "r1", version: "3.12.3")
        var state = PersistedState()
        state.services["job-manage"] = ServiceMachine(record: record)
        let older = #"{"pid":42,"startTicks":1,"startedAt":"2025-12-04T00:00:00.000Z","release":"r1"}"#
        let process = try AgentProtocol.makeDecoder().decode(ProcessRecord.self, from: Data(older.utf8))
        record.process = process
        state.services["job-config"] = ServiceMachine(record: record)
        let log = AgentLog(path: home.paths.log)
        let status = try await Supervisor(paths: home.paths, log: log, state: state).status(StatusRequest())
        #expect(status.services.map(\.name) == ["job-config", "job-manage"])
        #expect(status.services.map(\.version) == [nil, "3.12.3"])
    }

    @Test("a grep pattern longer than the bound is refused, and the message gives the bound")
    func grepPatternBound() async throws {
        let home = try TempHome()
        let pattern = String(repeating: "(a|b)*", count: 100)
        let responses = await handle([#"{"v":1,"id":"1","method":"logs","params":{"service":"job-x","grep":"\#(pattern)"}}"#], home: home)
        #expect(responses[0].failure?.code == .badRequest, "\(responses[0])")
        #expect(responses[0].failure?.message.contains("at most 256 characters") == true, "\(responses[0])")
    }
}
