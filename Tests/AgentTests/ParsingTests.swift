import Foundation
import Testing
@testable import Agent

@Suite("Parsing /proc, HTTP and java -version")
struct ParsingTests {
    @Test("/proc/PID/stat fields are counted after the command name, which may hold spaces and parentheses")
    func procStat() throws {
        let text = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 30 0 987654 3000000000 12345 18446744073709551615"
        let stat = try #require(ProcStat(parsing: text))
        #expect(stat.state == "S")
        #expect(stat.cpuTicks == 200)
        #expect(stat.startTicks == 987654)
        #expect(stat.rssPages == 12345)
        #expect(ProcStat(parsing: "garbage") == nil)
    }

    @Test("our own process reads back from /proc")
    func ownProcess() throws {
        let stat = try #require(ProcStat.read(getpid()))
        #expect(!stat.isDead)
        #expect(stat.rssPages > 0)
    }

    @Test("health URLs", arguments: [
        ("http://127.0.0.1:10500/actuator/health", HTTPProbe.Target(host: "127.0.0.1", port: 10500, path: "/actuator/health")),
        ("http://host", HTTPProbe.Target(host: "host", port: 80, path: "/")),
        ("http://[::1]:8080/x?y=1", HTTPProbe.Target(host: "::1", port: 8080, path: "/x?y=1")),
    ])
    func urls(url: String, target: HTTPProbe.Target) throws {
        #expect(try HTTPProbe.parse(url) == target)
    }

    @Test("bad health URLs are refused", arguments: ["https://x/", "http://:80/", "http://h:99999/", "http://h:x/"])
    func badURLs(url: String) {
        #expect(throws: ProbeError.self) { try HTTPProbe.parse(url) }
    }

    @Test("the request carries basic auth; the status line gives the code")
    func request() {
        let bytes = HTTPProbe.request(HTTPProbe.Target(host: "10.0.0.1", port: 10500, path: "/actuator/health"), user: "job", password: "pw")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("GET /actuator/health HTTP/1.1\r\nHost: 10.0.0.1:10500\r\n"))
        #expect(text.contains("Authorization: Basic am9iOnB3\r\n"))
        #expect(text.hasSuffix("\r\n\r\n"))
        #expect(HTTPProbe.statusCode(Array("HTTP/1.1 503 Service Unavailable\r\n".utf8)) == 503)
        #expect(HTTPProbe.statusCode(Array("SSH-2.0-OpenSSH\r\n".utf8)) == nil)
    }

    @Test("java -version output gives the quoted version")
    func javaVersion() {
        #expect(JavaVersion.parse("openjdk version \"17.0.15\" 2025-04-15\nOpenJDK Runtime") == "17.0.15")
        #expect(JavaVersion.parse("java version \"1.8.0_392\"") == "1.8.0_392")
        #expect(JavaVersion.parse("bash: java: not found") == nil)
    }

    @Test("names that become paths", arguments: [("job-manage", true), ("a1b2c3d4e5f6a7b8", true), ("../etc", false),
                                                 ("a/b", false), ("", false), ("x;rm", false), (".hidden", false)])
    func safeNames(name: String, valid: Bool) {
        #expect(SafeName.isValid(name) == valid)
    }
}
