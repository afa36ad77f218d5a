import Testing
@testable import Controller

@Suite("Upload window")
struct UploadWindowTests {
    /// Drives a window the way the upload loop does, against a simulated sftp_write that
    /// acknowledges an arbitrary part of what it was given, and checks libssh2's contract:
    /// every call starts at the first unacknowledged byte, covers all bytes already in flight,
    /// and passes them unchanged.
    static func simulate(size: Int, window: Int, capacity: Int, acks: [Int]) -> (sent: [UInt8], calls: Int) {
        let file = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        var buffer = [UInt8](repeating: 0, count: capacity)
        var state = UploadWindow(fileSize: UInt64(size), window: window, capacity: capacity)
        var received: [UInt8] = []
        var inFlightEnd = 0
        var calls = 0
        loop: while true {
            switch state.next {
            case .read(let offset, let fileOffset, let count):
                #expect(offset + count <= capacity)
                buffer.replaceSubrange(offset..<offset + count, with: file[Int(fileOffset)..<Int(fileOffset) + count])
                state.didRead(count)
            case .compact(let from, let count):
                buffer.replaceSubrange(0..<count, with: buffer[from..<from + count])
                state.didCompact()
            case .write(let offset, let count):
                let start = Int(state.acknowledged)
                #expect(Array(buffer[offset..<offset + count]) == Array(file[start..<start + count]), "bytes unchanged")
                #expect(start + count >= min(inFlightEnd, size), "covers what is in flight")
                #expect(count <= window)
                inFlightEnd = start + count
                let acked = min(count, max(1, acks[calls % acks.count]))
                received += buffer[offset..<offset + acked]
                state.acknowledge(acked)
                calls += 1
            case .done:
                break loop
            }
        }
        #expect(received == file)
        return (received, calls)
    }

    // Scaled down (a 4 KiB window over a 100 KiB file) so that every byte can be checked.
    @Test("a file much larger than the buffer arrives whole and in order", arguments: [
        [300], [1, 7], [655, 3, 4096], [4096], [1_003, 17],
    ])
    func largeFile(acks: [Int]) {
        _ = Self.simulate(size: 100_000 + 123, window: 4096, capacity: 3 * 4096, acks: acks)
    }

    @Test("small files take one call per acknowledged request", arguments: [1, 299, 4096, 4097])
    func smallFiles(size: Int) {
        let (_, calls) = Self.simulate(size: size, window: 4096, capacity: 16_384, acks: [300])
        #expect(calls == (size + 299) / 300)
    }

    @Test("an empty file is done at once")
    func empty() {
        #expect(UploadWindow(fileSize: 0).next == .done)
    }

    @Test("the window slides: after each acknowledgement the next call reaches a full window further")
    func slides() {
        var state = UploadWindow(fileSize: 100, window: 10, capacity: 40)
        #expect(state.next == .read(bufferOffset: 0, fileOffset: 0, count: 40))
        state.didRead(40)
        #expect(state.next == .write(bufferOffset: 0, count: 10))
        state.acknowledge(3)
        #expect(state.next == .write(bufferOffset: 3, count: 10))
        state.acknowledge(28)
        #expect(state.next == .compact(from: 31, count: 9), "less than a window left in a full buffer")
        state.didCompact()
        #expect(state.next == .read(bufferOffset: 9, fileOffset: 40, count: 31))
        state.didRead(31)
        #expect(state.next == .write(bufferOffset: 0, count: 10), "still starts at the first unacknowledged byte")
    }
}
