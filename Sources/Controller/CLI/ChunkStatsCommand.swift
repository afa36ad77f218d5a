import ArgumentParser
import Foundation
import Shared

/// `jobfleet chunk-stats RELEASE [NEXT]`: how the jars of a release cut into chunks by each
/// strategy, how many bytes a host with none of them must receive, and (given the next
/// release) how many bytes the upgrade must send. A measuring tool for choosing how files are
/// cut; not needed to run a fleet.
struct ChunkStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chunk-stats",
        abstract: "Measure how the jars of a release directory cut into chunks (a tool for the chunking choice).",
        shouldDisplay: false)

    @Argument(help: "A release directory (its backend/*/*.jar are read).")
    var release: String
    @Argument(help: "The next release, for the bytes an upgrade sends.")
    var next: String?

    func run() throws {
        let first = try Self.jars(release)
        let second = try next.map(Self.jars) ?? []
        for strategy in Chunker.Strategy.allCases {
            let clock = ContinuousClock()
            var seconds = 0.0
            func cut(_ paths: [String]) throws -> [(String, Int)] {
                var out: [(String, Int)] = []
                for path in paths {
                    let data = try Data(contentsOf: URL(fileURLWithPath: path))
                    let start = clock.now
                    data.withUnsafeBytes { raw in
                        for span in Chunker.cut(raw, strategy: strategy) {
                            out.append((Checksum.sha256(buffer: UnsafeRawBufferPointer(rebasing: raw[span.offset..<span.end])), span.length))
                        }
                    }
                    seconds += (clock.now - start).seconds
                }
                return out
            }
            let a = try cut(first)
            var unique: [String: Int] = [:]
            for (digest, size) in a { unique[digest] = size }
            let total = a.reduce(0) { $0 + $1.1 }
            let uniqueBytes = unique.values.reduce(0, +)
            var line = "\(strategy.rawValue): \(first.count) jars, \(Format.bytes(UInt64(total))), "
                + "\(unique.count) distinct chunks of \(Format.bytes(UInt64(uniqueBytes))) "
                + "(average \(Format.bytes(UInt64(uniqueBytes / max(unique.count, 1))))); "
                + String(format: "%.2f", Double(uniqueBytes) / Double(max(total, 1))) + " of the bytes"
            if !second.isEmpty {
                let b = try cut(second)
                var fresh: [String: Int] = [:]
                for (digest, size) in b where unique[digest] == nil { fresh[digest] = size }
                line += "; next release: \(fresh.count) new chunks, \(Format.bytes(UInt64(fresh.values.reduce(0, +)))) to send"
            }
            line += String(format: "; cut and hashed in %.2f s", seconds)
            print(line)
        }
    }

    static func jars(_ dir: String) throws -> [String] {
        let backend = "\(dir)/backend"
        let services = try FileManager.default.contentsOfDirectory(atPath: backend).sorted()
        return services.map { "\(backend)/\($0)/\($0).jar" }.filter { FileManager.default.fileExists(atPath: $0) }
    }
}
