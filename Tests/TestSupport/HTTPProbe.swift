import Foundation

/// Minimal HTTP/1.1 GET over a plain socket for checking stand-in services from tests
/// (no URLSession: its Linux implementation is heavier than a health check needs).
public enum HTTPProbe {
    /// GETs `url` (`http://ADDRESS:PORT/PATH`), with basic auth when `user` is given. Returns the
    /// status code and body, or nil when nothing answers within `timeout` seconds.
    public static func get(_ url: String, user: String? = nil, password: String? = nil,
                           timeout: Double = 3) async -> (status: Int, body: String)? {
        guard let parsed = URL(string: url), let host = parsed.host, let port = parsed.port else { return nil }
        let path = parsed.path.isEmpty ? "/" : parsed.path
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        if let user {
            request += "Authorization: Basic \(Data("\(user):\(password ?? "")".utf8).base64EncodedString())\r\n"
        }
        request += "\r\n"
        let message = request
        return await Task.detached { exchange(host: host, port: port, request: message, timeout: timeout) }.value
    }

    private static func exchange(host: String, port: Int, request: String, timeout: Double) -> (Int, String)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return nil }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        let statusLine = text.split(separator: "\r\n", maxSplits: 1).first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }

    /// Polls `url` until it answers `status` or `deadline` passes; returns whether it did.
    public static func waitFor(_ url: String, status: Int = 200, user: String? = nil, password: String? = nil,
                               within deadline: Duration) async -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while clock.now < end {
            if let answer = await get(url, user: user, password: password), answer.status == status { return true }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return false
    }
}
