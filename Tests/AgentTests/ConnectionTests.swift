import Foundation
import Testing
@testable import Agent
@testable import Shared

@Suite("A connection's input lines and queued answers")
struct ConnectionTests {
    @Test("lines are taken only when asked for; a line past the limit is reported once and skipped")
    func lineBuffer() {
        var lines = LineBuffer(maxLength: 8)
        lines.append(ArraySlice(Array("one\ntw".utf8)))
        #expect(lines.next() == .line(Array("one".utf8)))
        #expect(lines.next() == nil)
        lines.append(ArraySlice(Array("o\n0123456789abcdef".utf8)))
        #expect(lines.next() == .line(Array("two".utf8)))
        lines.append(ArraySlice(Array("more\nlast".utf8)))
        #expect(lines.next() == .tooLong)
        #expect(lines.next() == nil)
        #expect(lines.finish() == .line(Array("last".utf8)))
        #expect(lines.finish() == nil)
    }

    @Test("answers to a peer that does not read are queued without blocking, then the peer is dropped past the bound")
    func queuedAnswersAreBounded() throws {
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[1]) }
        let connection = try Connection(fd: pair[0])
        defer { close(pair[0]) }
        let big = AgentResponse(id: "x", .error(AgentFailure(.io, String(repeating: "y", count: 1 << 20))))
        var sent = 0
        // Each send returns at once; the queue grows until the bound drops the peer.
        while !connection.state.withLock({ $0.dropped }) && sent < 64 {
            connection.send(big)
            sent += 1
        }
        #expect(connection.state.withLock { $0.dropped })
        #expect(sent > Connection.maxQueuedBytes >> 20, "the bound, not the first answer, dropped it")
        #expect(connection.state.withLock { $0.queued.isEmpty }, "a dropped peer's queue is freed")
    }
}
