import Foundation
import Shared

/// Places files on one host through `jobfleet-agent receive`: one channel, one question (which
/// of these chunks are missing), then only those chunks, each once, on the same stream.
struct ChunkedPush {
    /// A file to place.
    struct Item {
        var file: ChunkedFile
        var remotePath: String
        var mode: UInt32
    }

    /// How a session ended.
    struct Outcome: Sendable {
        var placed: [String] = []
        /// Files not placed: path, why, and the chunks the host found corrupt and removed.
        var failed: [(path: String, message: String, corrupt: [String])] = []
        /// Bytes of the files placed or attempted.
        var placedBytes: UInt64 = 0
        /// Chunk data sent, and everything written to the stream (frames and plan included).
        var chunkBytes: UInt64 = 0
        var streamBytes: UInt64 = 0
        var chunksSent = 0
        var chunksCollected = 0
    }

    let hostLabel: String
    let agentPath: String
    let home: String

    /// Sends `items` over a new `receive` stream on `connection`. Throws when the session
    /// breaks; files the host refused (a digest mismatch) are in the outcome.
    func run(_ items: [Item], over connection: any HostConnection,
             progress: (@Sendable (UInt64, UInt64) -> Void)?) async throws -> Outcome {
        let plan = ReceivePlan(files: items.map { ReceivePlan.File(path: $0.remotePath, mode: $0.mode, recipe: $0.file.recipe) })
        let planBytes = Array(try JSONEncoder().encode(plan))
        let stream = try await connection.openStream(RemoteCommand(agentPath, "receive", "--home", home), timeout: nil)
        var outcome = Outcome()
        do {
            try await stream.write(ChunkWire.header(type: ChunkWire.plan, length: planBytes.count) + planBytes)
            outcome.streamBytes += UInt64(planBytes.count + 5)
            guard let first = try await readReply(stream) else { throw TransferError("the agent ended the session before answering") }
            guard let missing = first.missing else { throw TransferError("the agent answered the plan with something else") }
            let sends = ChunkSendPlan(files: items.map(\.file.recipe), missing: Set(missing))
            outcome.placedBytes = sends.placedBytes
            outcome.chunksSent = sends.items.count
            let total = sends.sentBytes
            var done: UInt64 = 0
            var batch: [UInt8] = []
            batch.reserveCapacity(2 << 20)
            for item in sends.items {
                let bytes = items[item.file].file.bytes(item.chunk)
                guard let digest = ChunkWire.digestBytes(item.ref.sha256) else { throw TransferError("bad digest \(item.ref.sha256)") }
                batch += ChunkWire.header(type: ChunkWire.data, length: 32 + bytes.count)
                batch += digest
                batch.append(contentsOf: bytes)
                done += UInt64(bytes.count)
                if batch.count >= 1 << 20 {
                    try await stream.write(batch)
                    outcome.streamBytes += UInt64(batch.count)
                    batch.removeAll(keepingCapacity: true)
                    progress?(done, total)
                }
            }
            batch += ChunkWire.header(type: ChunkWire.end, length: 0)
            try await stream.write(batch)
            outcome.streamBytes += UInt64(batch.count)
            outcome.chunkBytes = total
            progress?(total, total)
            while let reply = try await readReply(stream) {
                if let path = reply.placed { outcome.placed.append(path) }
                if let path = reply.failed {
                    outcome.failed.append((path, reply.message ?? "not placed", reply.corrupt ?? []))
                }
                if reply.done == true {
                    outcome.chunksCollected = reply.collected ?? 0
                    break
                }
            }
            _ = try? await stream.close()
            return outcome
        } catch {
            let ended = try? await stream.close()
            let detail = ended.map { $0.stderrTail.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
            throw TransferError("\(hostLabel): sending chunks failed: \(error)\(detail.isEmpty ? "" : " (\(detail))")")
        }
    }

    /// The next line from the agent; an `error` line is thrown.
    private func readReply(_ stream: any HostStream) async throws -> ReceiveReply? {
        guard let line = try await stream.readLine() else { return nil }
        let reply: ReceiveReply
        do {
            reply = try JSONDecoder().decode(ReceiveReply.self, from: Data(line.utf8))
        } catch {
            throw TransferError("the agent said something unexpected: \(line.prefix(200))")
        }
        if let error = reply.error { throw TransferError("the agent stopped: \(error)") }
        return reply
    }
}
