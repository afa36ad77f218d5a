/// Reads the overall `status` of a Spring Boot health answer (`{"status":"UP",...}`).
///
/// Not a JSON parser: the agent carries no JSON reader for arbitrary documents, and the
/// answer only needs its first `"status"` key, which Spring Boot writes first. A chunked
/// answer still works for a body this small: its chunk-size lines sit around the JSON, not in it.
enum HealthBody {
    private static let key = Array("\"status\"".utf8)
    private static let quote = UInt8(ascii: "\"")

    /// The string value of the first `"status"` key, or nil when there is none.
    static func status(in body: String) -> String? {
        let bytes = Array(body.utf8)
        var start = 0
        while let found = firstKey(in: bytes, from: start) {
            var index = skipSpace(bytes, from: found + key.count)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                // `"status"` as a value, not a key: look further on.
                start = found + key.count
                continue
            }
            index = skipSpace(bytes, from: index + 1)
            guard index < bytes.count, bytes[index] == quote else { return nil }
            let valueStart = index + 1
            guard let end = bytes[valueStart...].firstIndex(of: quote) else { return nil }
            return String(decoding: bytes[valueStart..<end], as: UTF8.self)
        }
        return nil
    }

    private static func firstKey(in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= key.count, start <= bytes.count - key.count else { return nil }
        return (start...(bytes.count - key.count)).first { bytes[$0..<($0 + key.count)].elementsEqual(key) }
    }

    private static func skipSpace(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count, [0x20, 0x09, 0x0d, 0x0a].contains(bytes[index]) { index += 1 }
        return index
    }
}
