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
        (#"{"v":1,"id":"4","method":"stop","params":{}}"#, "4", "bad_request"),
        (#"{"v":1,"id":"5","method":"stop","params":{"services":["job-x"]}}"#, "5", "unknown_service"),
        (#"{"v":1,"id":"6","method":"logs","params":{"service":"../../etc"}}"#, "6", "invalid_name"),
        (#"{"v":1,"id":"7","method":"logs","params":{"service":"job-x","grep":"(("}}"#, "7", "bad_request"),
        (#"{"v":1,"id":"8","method":"apply","params":{"services":[{"name":"a b","command":["x"]}]}}"#, "8", "invalid_name"),
        (#"{"v":1,"id":"9","method":"apply","params":{"services":[{"name":"a","command":[]}]}}"#, "9", "bad_request"),
        (#"{"v":1,"id":"10","method":"start","params":{"services":["a"]},"fence":5}"#, "10", "stale_fence"),
        (#"{"v":1,"id":"11","method":"apply","params":{"services":[{"name":"a","command":["x"],"version":"3.12\u001b[2J"}]}}"#, "11", "bad_request"),
    ] as [(String, String?, String)])
    func errors(line: String, id: String?, code: String) async throws {
        let home = try TempHome()
        let responses = await handle([line, #"{"v":1,"id":"next","method":"status"}"#], home: home)
        #expect(responses[0].id == id)
        #expect(responses[0].failure?.code.rawValue == code, "\(responses[0])")
        #expect(responses[1].id == "next")
        #expect(responses[1].failure == nil)
    }

    @Test("a missing field is named by its path")
    func fieldPath() async throws {
        let home = try TempHome()
        let response = await handle([#"{"v":1,"id":"1","method":"apply","params":{"services":[{"name":"a"}]}}"#], home: home)[0]
        #expect(response.failure?.message.contains("params.services[0].command: missing") == true, "\(response)")
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
