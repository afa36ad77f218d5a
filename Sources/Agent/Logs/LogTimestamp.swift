import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Reads the timestamp at the start of a log line, as Spring Boot and logback write it:
/// `2024-05-01 12:34:56.789 ...`, `[2024-05-01 12:34:56.789] ...`, or ISO 8601 with `T` and
/// an optional zone. A timestamp without a zone is in the host's local time.
enum LogTimestamp {
    static func parse<Bytes: Collection<UInt8>>(_ line: Bytes) -> Date? where Bytes.Index == Int {
        var i = line.startIndex
        if i < line.endIndex && line[i] == UInt8(ascii: "[") { i += 1 }
        func digits(_ count: Int) -> Int? {
            guard i + count <= line.endIndex else { return nil }
            var value = 0
            for k in i..<(i + count) {
                let byte = line[k]
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            i += count
            return value
        }
        func expect(_ allowed: String) -> Bool {
            guard i < line.endIndex, allowed.utf8.contains(line[i]) else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2),
              expect(" T"), let hour = digits(2), expect(":"), let minute = digits(2), expect(":"),
              let second = digits(2) else { return nil }
        var fraction = 0.0
        if i < line.endIndex && (line[i] == UInt8(ascii: ".") || line[i] == UInt8(ascii: ",")) {
            i += 1
            var scale = 0.1
            while i < line.endIndex, line[i] >= 48, line[i] <= 57 {
                fraction += Double(line[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        var tm = tm()
        tm.tm_year = Int32(year - 1900)
        tm.tm_mon = Int32(month - 1)
        tm.tm_mday = Int32(day)
        tm.tm_hour = Int32(hour)
        tm.tm_min = Int32(minute)
        tm.tm_sec = Int32(second)
        let seconds: time_t
        if let offset = zoneOffset(line, at: &i) {
            seconds = timegm(&tm) - time_t(offset)
        } else {
            tm.tm_isdst = -1
            seconds = mktime(&tm)
        }
        guard seconds != -1 else { return nil }
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// `Z`, `+08:00` or `+0800` right after the time, in seconds east of UTC.
    private static func zoneOffset<Bytes: Collection<UInt8>>(_ line: Bytes, at i: inout Int) -> Int? where Bytes.Index == Int {
        guard i < line.endIndex else { return nil }
        if line[i] == UInt8(ascii: "Z") { return 0 }
        guard line[i] == UInt8(ascii: "+") || line[i] == UInt8(ascii: "-") else { return nil }
        let sign = line[i] == UInt8(ascii: "-") ? -1 : 1
        let digits = line[(i + 1)..<line.endIndex].prefix(5).filter { $0 != UInt8(ascii: ":") }.prefix(4)
        guard digits.count == 4, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let values = digits.map { Int($0 - 48) }
        return sign * ((values[0] * 10 + values[1]) * 3600 + (values[2] * 10 + values[3]) * 60)
    }
}
