import Foundation
import Shared
import Testing
@testable import Agent

/// The HTTP probe's body rule: a 200 counts only when Spring Boot's JSON says the wanted status.
@Suite struct HealthBodyTests {
    @Test(arguments: [
        (#"{"status":"UP"}"#, "UP"),
        (#"{ "status" : "OUT_OF_SERVICE", "components": {"db": {"status": "UP"}} }"#, "OUT_OF_SERVICE"),
        (#"{"groups":["liveness"],"status":"DOWN"}"#, "DOWN"),
        ("{\n  \"status\":\n  \"UP\"\n}", "UP"),
    ])
    func readsTheFirstStatus(body: String, status: String) {
        #expect(HealthBody.status(in: body) == status)
    }

    @Test(arguments: ["", "OK", #"{"state":"UP"}"#, #"{"status":42}"#, #"{"statuses" : "UP"}"#])
    func findsNoStatus(body: String) {
        #expect(HealthBody.status(in: body) == nil)
    }

    private func answer(_ code: String, _ body: String) -> [UInt8] {
        Array("HTTP/1.1 \(code)\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n\(body)".utf8)
    }

    @Test func statusCodeAloneWithoutTheOption() {
        let spec = HTTPProbeSpec(url: "http://127.0.0.1:1/actuator/health")
        #expect(HTTPProbe.verdict(answer("200 OK", #"{"status":"DOWN"}"#), spec: spec, path: "/actuator/health") == nil)
    }

    @Test func bodyMustReportTheWantedStatus() {
        let spec = HTTPProbeSpec(url: "http://127.0.0.1:1/actuator/health", expectBodyStatus: "UP")
        #expect(HTTPProbe.verdict(answer("200 OK", #"{"status":"UP"}"#), spec: spec, path: "/actuator/health") == nil)
        let down = HTTPProbe.verdict(answer("200 OK", #"{"status":"OUT_OF_SERVICE"}"#), spec: spec, path: "/actuator/health")
        #expect(down == #"GET /actuator/health answered 200 but reports "status":"OUT_OF_SERVICE", expected "UP""#)
        let none = HTTPProbe.verdict(answer("200 OK", "ok"), spec: spec, path: "/actuator/health")
        #expect(none?.contains(#"without a "status" in its body"#) == true)
        // The status code is judged first: a 503 says DOWN already.
        let unavailable = HTTPProbe.verdict(answer("503 Service Unavailable", #"{"status":"DOWN"}"#), spec: spec, path: "/actuator/health")
        #expect(unavailable == "GET /actuator/health answered 503, expected 200")
    }

    @Test("an answer is whole at its Content-Length or its last chunk, not before")
    func completeAnswers() {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        #expect(HTTPProbe.isComplete(Array((head + "Content-Length: 15\r\n\r\n{\"status\":\"UP\"}").utf8)))
        #expect(!HTTPProbe.isComplete(Array((head + "Content-Length: 15\r\n\r\n{\"stat").utf8)))
        #expect(HTTPProbe.isComplete(Array((head + "Transfer-Encoding: chunked\r\n\r\nf\r\n{\"status\":\"UP\"}\r\n0\r\n\r\n").utf8)))
        #expect(!HTTPProbe.isComplete(Array((head + "Transfer-Encoding: chunked\r\n\r\nf\r\n{\"status\":\"UP\"}\r\n").utf8)))
        #expect(!HTTPProbe.isComplete(Array((head + "\r\n{\"status\":\"UP\"}").utf8)), "no length: read until the server closes")
        #expect(!HTTPProbe.isComplete(Array(head.utf8)))
    }

    @Test func bodyOptionTravelsOnTheWireOnlyWhenSet() throws {
        let plain = HealthCheckSpec(probe: .http(HTTPProbeSpec(url: "http://h:1/x")))
        let plainJSON = String(decoding: try JSONEncoder().encode(plain), as: UTF8.self)
        #expect(!plainJSON.contains("expectBodyStatus"))
        let strict = HealthCheckSpec(probe: .http(HTTPProbeSpec(url: "http://h:1/x", expectBodyStatus: "UP")))
        let decoded = try JSONDecoder().decode(HealthCheckSpec.self, from: try JSONEncoder().encode(strict))
        #expect(decoded == strict)
    }
}
