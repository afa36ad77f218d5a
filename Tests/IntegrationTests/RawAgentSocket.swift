import Foundation
import Shared
import TestSupport

/// A client on the agent's Unix socket itself, without the rpc bridge: a test decides exactly
/// what is written and whether anything is read.
final class RawAgentSocket {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var counter = 0

    /// Connects to `home`'s agent socket; reads give up after `readTimeout` seconds, which
    /// only bounds a test whose agent stopped answering.
    init(home: String, readTimeout: Int = 60) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SandboxError(message: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array("\(home)/.jobfleet/agent.sock".utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
            raw[path.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw SandboxError(message: "connect to \(home)/.jobfleet/agent.sock: \(reason)")
        }
        var timeout = timeval(tv_sec: readTimeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Writes one request line (blocking until the socket takes it all).
    func write(_ body: AgentRequest.Body) throws {
        counter += 1
        let line = try AgentProtocol.line(AgentRequest(id: "raw\(counter)", body))
        try line.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 {
                    if errno == EINTR { continue }
                    throw SandboxError(message: "send to the agent: \(String(cString: strerror(errno)))")
                }
                offset += sent
            }
        }
    }

    /// The next response; throws when the agent closed the connection or did not answer in time.
    func read() throws -> AgentResponse {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                let line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                return try AgentProtocol.makeDecoder().decode(AgentResponse.self, from: Data(line))
            }
            let count = recv(fd, &chunk, chunk.count, 0)
            if count == 0 { throw SandboxError(message: "the agent closed the connection") }
            if count < 0 {
                if errno == EINTR { continue }
                throw SandboxError(message: "no answer from the agent: \(String(cString: strerror(errno)))")
            }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }

    /// Sends a request and reads its answer.
    func ask(_ body: AgentRequest.Body) throws -> AgentResponse {
        try write(body)
        return try read()
    }

    /// Bytes the agent has sent that this client has not read yet.
    var unread: Int {
        var count: Int32 = 0
        _ = ioctl(fd, UInt(FIONREAD), &count)
        return Int(count)
    }
}
