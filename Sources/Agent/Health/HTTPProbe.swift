import FoundationEssentials
import Shared

/// A minimal HTTP/1.1 GET over a plain socket: enough for `/actuator/health`, without
/// Foundation's networking (which would bring all of Foundation into the agent).
struct HTTPProbe {
    /// The parts of an `http://host:port/path` URL.
    struct Target: Equatable {
        var host: String
        var port: Int
        var path: String
    }

    /// Parses `http://HOST[:PORT][/PATH]`; IPv6 hosts in brackets.
    static func parse(_ url: String) throws -> Target {
        guard url.hasPrefix("http://") else { throw ProbeError("health url must start with http://, got \(url)") }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        var host = String(authority)
        var port = 80
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()) else { throw ProbeError("bad port in \(url)") }
                port = value
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let value = Int(authority[authority.index(after: colon)...]) else { throw ProbeError("bad port in \(url)") }
            port = value
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw ProbeError("bad host or port in \(url)") }
        return Target(host: host, port: port, path: path.isEmpty ? "/" : String(path))
    }

    /// The request bytes, with basic auth when a user is given.
    static func request(_ target: Target, user: String?, password: String?) -> [UInt8] {
        let hostHeader = target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)"
        var text = "GET \(target.path) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: jobfleet-agent\r\n"
            + "Accept: */*\r\nConnection: close\r\n"
        if let user {
            let credentials = Data("\(user):\(password ?? "")".utf8).base64EncodedString()
            text += "Authorization: Basic \(credentials)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// The status code from the first line of a response (`HTTP/1.1 200 OK`).
    static func statusCode(_ head: [UInt8]) -> Int? {
        guard let end = head.firstIndex(of: UInt8(ascii: "\r")) ?? head.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let parts = String(decoding: head[..<end], as: UTF8.self).split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3 else { return nil }
        return Int(parts[1])
    }

    /// Most of an answer the probe reads: a health body with every component listed is a few
    /// KiB; more than this is not a health answer.
    static let maxAnswerBytes = 64 * 1024

    /// GETs the URL and returns nil when the answer is the expected one, else why not.
    static func check(_ spec: HTTPProbeSpec, timeout: Double) -> String? {
        do {
            let target = try parse(spec.url)
            // Without a body check the status line is all we need.
            let answer = try get(target, user: spec.user, password: spec.password, timeout: timeout,
                                 wholeBody: spec.expectBodyStatus != nil)
            return verdict(answer, spec: spec, path: target.path)
        } catch {
            return String(describing: error)
        }
    }

    /// GETs `target` and returns the answer: up to the first line, or (`wholeBody`) to its end
    /// (the request asked the server to close), at most `maxAnswerBytes`.
    static func get(_ target: Target, user: String? = nil, password: String? = nil, timeout: Double,
                    wholeBody: Bool) throws -> [UInt8] {
        let deadline = Monotonic.now + timeout
        let connection = try TCPConnection.open(host: target.host, port: target.port, timeout: timeout)
        defer { connection.close() }
        try connection.send(request(target, user: user, password: password), until: deadline)
        var answer: [UInt8] = []
        while answer.count < maxAnswerBytes {
            if !wholeBody && answer.contains(UInt8(ascii: "\n")) { break }
            if wholeBody && isComplete(answer) { break }
            let chunk = try connection.receive(limit: 4096, until: deadline)
            if chunk.isEmpty { break }
            answer += chunk
        }
        return answer
    }

    /// Judges a whole answer (status line, headers, body) against the spec: nil when healthy.
    static func verdict(_ answer: [UInt8], spec: HTTPProbeSpec, path: String) -> String? {
        guard let code = statusCode(answer) else { return "GET \(path): no HTTP status line in the answer" }
        guard code == spec.expectStatus else { return "GET \(path) answered \(code), expected \(spec.expectStatus)" }
        guard let wanted = spec.expectBodyStatus else { return nil }
        let body = self.body(of: answer)
        guard let reported = HealthBody.status(in: body) else {
            return "GET \(path) answered \(code) without a \"status\" in its body, expected \"status\":\"\(wanted)\""
        }
        return reported == wanted ? nil : "GET \(path) answered \(code) but reports \"status\":\"\(reported)\", expected \"\(wanted)\""
    }

    /// True when the answer holds its whole body by its own account: `Content-Length` bytes
    /// after the headers, or a chunked body's last chunk. A server that keeps the connection
    /// open despite `Connection: close` is then not waited for until the probe's timeout.
    static func isComplete(_ answer: [UInt8]) -> Bool {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard answer.count >= separator.count,
              let end = (0...(answer.count - separator.count)).first(where: { answer[$0..<($0 + separator.count)].elementsEqual(separator) })
        else { return false }
        let headers = String(decoding: answer[..<end], as: UTF8.self).lowercased().split(separator: "\r\n")
        let bodyCount = answer.count - end - separator.count
        for header in headers {
            if header.hasPrefix("content-length:"), let length = Int(header.dropFirst("content-length:".count).trimmed) {
                return bodyCount >= length
            }
            if header.hasPrefix("transfer-encoding:") && header.contains("chunked") {
                return answer.suffix(5).elementsEqual(Array("0\r\n\r\n".utf8))
            }
        }
        return false
    }

    /// The text after the blank line that ends the headers (empty when there is none).
    static func body(of answer: [UInt8]) -> String {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard answer.count >= separator.count else { return "" }
        for start in 0...(answer.count - separator.count) where Array(answer[start..<start + separator.count]) == separator {
            return String(decoding: answer[(start + separator.count)...], as: UTF8.self)
        }
        return ""
    }
}
