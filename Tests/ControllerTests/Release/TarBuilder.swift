import Foundation

/// Builds tar streams byte by byte for the unpacker's tests, including members no honest tar
/// writes (devices, escaping paths, wrong checksums), and gzips them with the system's gzip.
struct TarBuilder {
    private(set) var bytes: [UInt8] = []

    /// One ustar header with `data` after it. `type` is the tar type flag; `checksumDelta` spoils
    /// the checksum; `sizeField` replaces the size written (for a header that lies).
    mutating func add(_ name: String, type: Character = "0", data: [UInt8] = [], mode: Int = 0o644,
                      link: String = "", prefix: String = "", sizeField: String? = nil, checksumDelta: Int = 0) {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        }
        put(name, at: 0, width: 100)
        put(octal(mode, width: 8), at: 100, width: 7)
        put(octal(0, width: 8), at: 108, width: 7)
        put(octal(0, width: 8), at: 116, width: 7)
        put(sizeField ?? octal(data.count, width: 12), at: 124, width: 12)
        put(octal(1_700_000_000, width: 12), at: 136, width: 11)
        header[156] = type.asciiValue!
        put(link, at: 157, width: 100)
        put("ustar\u{0}00", at: 257, width: 8)
        put(prefix, at: 345, width: 155)
        for index in 148..<156 { header[index] = UInt8(ascii: " ") }
        let sum = header.reduce(0) { $0 + Int($1) } + checksumDelta
        put(octal(sum, width: 7), at: 148, width: 6)
        header[154] = 0
        bytes += header
        bytes += data
        bytes += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    mutating func file(_ name: String, _ text: String, mode: Int = 0o644) { add(name, data: Array(text.utf8), mode: mode) }
    mutating func directory(_ name: String) { add(name, type: "5", mode: 0o755) }

    /// A pax extended header (`x`) with `records` for the next member.
    mutating func pax(_ records: [(String, String)], type: Character = "x") {
        var data: [UInt8] = []
        for (key, value) in records {
            let body = " \(key)=\(value)\n"
            var length = body.utf8.count + 1
            while String(length).count + body.utf8.count != length { length += 1 }
            data += Array("\(length)\(body)".utf8)
        }
        add("PaxHeaders/x", type: type, data: data)
    }

    /// A GNU long-name record (`L`) for the next member.
    mutating func longName(_ name: String) { add("././@LongLink", type: "L", data: Array(name.utf8) + [0]) }

    /// The smallest bk-job release: `job/VERSION` and `job/backend/`.
    mutating func release(version: String = "3.12.3") {
        directory("job/")
        file("job/VERSION", "\(version)\n")
        directory("job/backend/")
    }

    /// The two zero blocks that end an archive.
    mutating func end() { bytes += [UInt8](repeating: 0, count: 1024) }

    /// `bytes` gzipped.
    func gzipped() throws -> [UInt8] { try Self.gzip(bytes) }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-gzip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in")
        try Data(bytes).write(to: input)
        try run("/usr/bin/gzip", ["-n", input.path])
        return [UInt8](try Data(contentsOf: dir.appendingPathComponent("in.gz")))
    }

    /// Runs a local tool and fails the test's setup when it fails.
    static func run(_ tool: String, _ arguments: [String], in directory: String? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(tool) \(arguments) failed"])
        }
    }
}
