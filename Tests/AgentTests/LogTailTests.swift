import Foundation
import Testing
@testable import Agent

@Suite("Reading the end of a log")
struct LogTailTests {
    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("logtail-\(UUID().uuidString).log").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("the last N lines, oldest first, across chunk boundaries")
    func lastLines() throws {
        let lines = (1...20000).map { "line \($0) " + String(repeating: "x", count: $0 % 50) }
        let path = try file(lines.joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tail = try LogTail.read(path: path, query: LogQuery(lines: 3, maxBytes: 65536))
        #expect(tail.lines == Array(lines.suffix(3)))
        #expect(!tail.truncated)
        let all = try LogTail.read(path: path, query: LogQuery(lines: 20000, maxBytes: 1 << 22))
        #expect(all.lines == lines)
    }

    @Test("grep keeps only matching lines")
    func grep() throws {
        let path = try file("a INFO ok\nb ERROR boom\nc INFO ok\nd ERROR bang\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tail = try LogTail.read(path: path, query: LogQuery(lines: 10, grep: try Regex("ERROR b[a-z]+"), maxBytes: 1000))
        #expect(tail.lines == ["b ERROR boom", "d ERROR bang"])
    }

    @Test("the byte bound keeps the newest lines that fit and says it cut")
    func byteBound() throws {
        let path = try file((1...100).map { "entry \($0)" }.joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tail = try LogTail.read(path: path, query: LogQuery(lines: 100, maxBytes: 30))
        #expect(tail.lines == ["entry 98", "entry 99", "entry 100"])
        #expect(tail.truncated)
        #expect(tail.lines.reduce(0) { $0 + $1.utf8.count + 1 } <= 30)
    }

    @Test("a very long line is cut and flagged")
    func longLine() throws {
        let path = try file(String(repeating: "y", count: 20000) + "\nshort\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var query = LogQuery(lines: 2, maxBytes: 65536)
        query.maxLineBytes = 100
        let tail = try LogTail.read(path: path, query: query)
        #expect(tail.lines.count == 2)
        #expect(tail.lines[0].hasSuffix("…[cut]"))
        #expect(tail.truncated)
    }

    @Test("since keeps recent entries with their stack frames and stops at older ones")
    func since() throws {
        let text = """
            2024-05-01 10:00:00.000 ERROR old failure
            \tat old.Frame
            2024-05-01 10:05:00.000 ERROR new failure
            \tat new.Frame
            2024-05-01 10:06:00.000  INFO fine
            """
        let path = try file(text + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let since = try #require(LogTimestamp.parse(Array("2024-05-01 10:01:00.000".utf8)))
        let tail = try LogTail.read(path: path, query: LogQuery(lines: 10, since: since, maxBytes: 10000))
        #expect(tail.lines == ["2024-05-01 10:05:00.000 ERROR new failure", "\tat new.Frame", "2024-05-01 10:06:00.000  INFO fine"])
    }

    @Test("timestamps: Spring's local format, bracketed, ISO 8601 with zone")
    func timestamps() throws {
        let utc = try #require(LogTimestamp.parse(Array("2024-05-01T10:00:00Z rest".utf8)))
        #expect(utc.timeIntervalSince1970 == 1_714_557_600)
        let offset = try #require(LogTimestamp.parse(Array("2024-05-01T18:00:00.500+08:00 x".utf8)))
        #expect(offset.timeIntervalSince1970 == 1_714_557_600.5)
        #expect(LogTimestamp.parse(Array("[2024-05-01 10:00:00,123] x".utf8)) != nil)
        #expect(LogTimestamp.parse(Array("\tat com.Foo".utf8)) == nil)
        #expect(LogTimestamp.parse(Array("2024-05-01".utf8)) == nil)
    }
}
