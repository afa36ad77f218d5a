import Foundation
import Testing
@testable import Shared

@Suite("Agent protocol messages")
struct AgentProtocolTests {
    func roundTrip<T: Codable & Equatable>(_ value: T) throws -> T {
        let data = try AgentProtocol.makeEncoder().encode(value)
        return try AgentProtocol.makeDecoder().decode(T.self, from: data)
    }

    func decodeRequest(_ json: String) throws -> AgentRequest {
        try AgentProtocol.makeDecoder().decode(AgentRequest.self, from: Data(json.utf8))
    }

    @Test("times travel with milliseconds, and whole-second times from older agents still read")
    func millisecondTimes() throws {
        let since = Date(timeIntervalSince1970: 1_764_806_400.123)
        let data = try AgentProtocol.makeEncoder().encode(HealthStatus(state: .healthy, since: since))
        #expect(String(decoding: data, as: UTF8.self).contains("\"since\":\"2025-12-04T00:00:00.123Z\""))
        let decoded = try AgentProtocol.makeDecoder().decode(HealthStatus.self, from: data)
        #expect(abs((decoded.since?.timeIntervalSince1970 ?? 0) - 1_764_806_400.123) < 0.0005)
        let old = try AgentProtocol.makeDecoder().decode(HealthStatus.self,
                                                        from: Data(#"{"state":"healthy","since":"2025-12-04T00:00:05Z"}"#.utf8))
        #expect(old.since == Date(timeIntervalSince1970: 1_764_806_405))
    }

    @Test("a time read back is written as the same text, whatever its sub-millisecond part was", arguments: [
        1_764_806_400.1234567, 1_764_806_400.9995, 1_764_806_400.0, 1_764_806_400.123,
    ])
    func stableTimes(seconds: Double) throws {
        let text = AgentProtocol.formatTime(Date(timeIntervalSince1970: seconds))
        let again = try #require(AgentProtocol.parseTime(text))
        #expect(AgentProtocol.formatTime(again) == text)
        #expect(abs(again.timeIntervalSince1970 - seconds) <= 0.0005)
    }

    @Test("every request carries v, id, method and params on the wire")
    func requestShape() throws {
        let request = AgentRequest(id: "7", .stop(ControlRequest(services: ["job-manage"], stopTimeoutSeconds: 5)), fence: 3)
        let line = String(decoding: try AgentProtocol.line(request), as: UTF8.self)
        #expect(line == #"{"fence":3,"id":"7","method":"stop","params":{"services":["job-manage"],"stopTimeoutSeconds":5,"wait":true},"v":1}"# + "\n")
        #expect(try roundTrip(request) == request)
    }

    @Test("parameterless methods may omit params, and defaults fill the rest")
    func defaults() throws {
        #expect(try decodeRequest(#"{"v":1,"id":"a","method":"status"}"#).body == .status(StatusRequest()))
        let logs = try decodeRequest(#"{"v":1,"id":"b","method":"logs","params":{"service":"job-manage"}}"#)
        #expect(logs.body == .logs(LogsRequest(service: "job-manage", source: .service, lines: 100, maxBytes: 65536)))
        let apply = try decodeRequest(#"{"v":1,"id":"c","method":"apply","params":{"services":[{"name":"x","command":["java"]}]}}"#)
        guard case .apply(let params) = apply.body else { Issue.record("not an apply"); return }
        #expect(params.prune)
        #expect(params.services[0].desired == .running)
        #expect(params.services[0].stopTimeoutSeconds == 60)
        #expect(params.services[0].restart == RestartPolicy())
    }

    @Test("a health check is flattened: type beside its timing")
    func healthFlattened() throws {
        let json = #"{"type":"http","url":"http://127.0.0.1:10500/actuator/health","user":"job","password":"pw","intervalSeconds":5}"#
        let check = try AgentProtocol.makeDecoder().decode(HealthCheckSpec.self, from: Data(json.utf8))
        #expect(check.probe == .http(HTTPProbeSpec(url: "http://127.0.0.1:10500/actuator/health", user: "job", password: "pw")))
        #expect(check.intervalSeconds == 5)
        #expect(check.unhealthyThreshold == 3)
        #expect(try roundTrip(check) == check)
        for probe in [HealthProbe.tcp(host: "::1", port: 1), .command(["/bin/true"])] {
            let other = HealthCheckSpec(probe: probe)
            #expect(try roundTrip(other) == other)
        }
    }

    @Test("an unknown health check type names the allowed ones")
    func badHealthType() {
        #expect(throws: DecodingError.self) {
            try AgentProtocol.makeDecoder().decode(HealthCheckSpec.self, from: Data(#"{"type":"ping"}"#.utf8))
        }
    }

    @Test("responses carry the method with the result, or an error; the id is null when unknown")
    func responses() throws {
        let status = AgentResponse(id: "1", .status(StatusResult(
            agent: AgentInfo(version: "0.1.0", protocolVersions: [1], pid: 9, startedAt: Date(timeIntervalSince1970: 0), bkHome: "/data/bkee"),
            at: Date(timeIntervalSince1970: 60), lease: nil,
            services: [ServiceStatus(name: "job-config", desired: .running, state: .running)])))
        #expect(try roundTrip(status) == status)
        let error = AgentResponse(id: nil, .error(AgentFailure(.malformed, "not JSON")))
        let line = String(decoding: try AgentProtocol.line(error), as: UTF8.self)
        #expect(line == #"{"error":{"code":"malformed","message":"not JSON"},"id":null,"v":1}"# + "\n")
        #expect(try roundTrip(error) == error)
        #expect(try roundTrip(error).failure?.code == .malformed)
    }

    @Test("hello carries the agent binary's digest; an agent without the field still decodes")
    func helloDigest() throws {
        var info = AgentInfo(version: "0.1.0", protocolVersions: [1], pid: 9, startedAt: Date(timeIntervalSince1970: 0),
                             bkHome: "/data/bkee")
        let older = String(decoding: try AgentProtocol.makeEncoder().encode(info), as: UTF8.self)
        #expect(!older.lowercased().contains("sha256"), "\(older)")
        #expect(try AgentProtocol.makeDecoder().decode(AgentInfo.self, from: Data(older.utf8)).binarySHA256 == nil)
        info.binarySHA256 = String(repeating: "ab", count: 32)
        #expect(try roundTrip(info) == info)
    }

    @Test("a spec and a status carry the release version; ones written before it existed still decode")
    func version() throws {
        var spec = ServiceSpec(name: "job-manage", command: ["java"])
        spec.version = "3.12.3"
        #expect(String(decoding: try AgentProtocol.makeEncoder().encode(spec), as: UTF8.self).contains(#""version":"3.12.3""#))
        #expect(try roundTrip(spec) == spec)
        let older = try AgentProtocol.makeDecoder().decode(ServiceSpec.self, from: Data(#"{"name":"job-manage","command":["java"]}"#.utf8))
        #expect(older.version == nil)
        var status = ServiceStatus(name: "job-manage", desired: .running, state: .running)
        status.version = "3.12.3"
        #expect(try roundTrip(status) == status)
        let json = #"{"name":"job-manage","desired":"running","state":"running","restarts":0,"specCurrent":true,"adopted":false,"health":{"state":"none"}}"#
        #expect(try AgentProtocol.makeDecoder().decode(ServiceStatus.self, from: Data(json.utf8)).version == nil)
    }

    @Test("error codes from a newer agent still decode")
    func openErrorCodes() throws {
        let json = #"{"v":1,"id":"x","error":{"code":"brand_new","message":"m"}}"#
        let response = try AgentProtocol.makeDecoder().decode(AgentResponse.self, from: Data(json.utf8))
        #expect(response.failure?.code.rawValue == "brand_new")
    }

    @Test("only the desired state or the release version differing needs no restart")
    func runDefinition() {
        let running = ServiceSpec(name: "a", command: ["java"])
        var stopped = running
        stopped.desired = .stopped
        #expect(running.runDefinition == stopped.runDefinition)
        var versioned = running
        versioned.version = "3.12.3"
        #expect(running.runDefinition == versioned.runDefinition)
        var changed = running
        changed.env["X"] = "1"
        #expect(running.runDefinition != changed.runDefinition)
    }

    @Test("exit summaries say how a process ended")
    func exitSummary() {
        let at = Date()
        #expect(ExitRecord(at: at, code: 143, signal: nil, requested: true, stopStep: "SIGTERM", statusKnown: true, ranSeconds: 3).summary
                == "exit 143 after SIGTERM")
        #expect(ExitRecord(at: at, code: nil, signal: 9, requested: false, stopStep: nil, statusKnown: true, ranSeconds: 3).summary
                == "killed by signal 9")
    }
}
