#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The wire format between the controller (through `jobfleet-agent rpc`) and the agent daemon.
///
/// One JSON object per line, UTF-8, `\n`-terminated. Every request carries `v` (protocol
/// version), `id` (chosen by the client, echoed in the response) and `method`; its arguments
/// sit under `params`. Every response carries `v`, `id` and either `method` + `result` or
/// `error`. Requests on one connection may be answered out of order (a `stop` waits for the
/// service to exit while a `status` is answered at once): match responses by `id`.
public enum AgentProtocol {
    /// The protocol version this build speaks and writes in `v`.
    public static let version = 1

    /// Versions this build accepts from a peer.
    public static let supportedVersions: ClosedRange<Int> = 1...1

    /// The longest line either side accepts; longer lines are refused, not buffered forever.
    public static let maxLineBytes = 4 << 20

    /// An encoder for protocol messages: compact, sorted keys, ISO 8601 times with milliseconds.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatTime(date))
        }
        return encoder
    }

    /// A decoder matching ``makeEncoder()``.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTime(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an ISO 8601 time, got '\(text)'")
            }
            return date
        }
        return decoder
    }

    /// A time on the wire and in the agent's state: ISO 8601 in UTC with milliseconds
    /// (`2026-01-02T03:04:05.678Z`), so that two events in the same second keep their order.
    /// Milliseconds are counted as integers, so a time read back writes the same text again.
    public static func formatTime(_ date: Date) -> String {
        let millis = max(Int64((date.timeIntervalSince1970 * 1000).rounded()), 0)
        let whole = Date(timeIntervalSince1970: Double(millis / 1000)).formatted(.iso8601)
        let digits = String(millis % 1000)
        return whole.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Reads `formatTime`'s text, or a whole-second ISO 8601 time (what agents before
    /// millisecond times wrote and persisted).
    public static func parseTime(_ text: String) -> Date? {
        guard let dot = text.lastIndex(of: "."), text.hasSuffix("Z") else { return try? Date(text, strategy: .iso8601) }
        let digits = text[text.index(after: dot)..<text.index(before: text.endIndex)]
        guard (1...9).contains(digits.count), digits.allSatisfy(\.isASCII), let fraction = Int(digits.prefix(3)),
              let whole = try? Date(String(text[..<dot]) + "Z", strategy: .iso8601) else { return nil }
        let scale = [100, 10, 1][min(digits.count, 3) - 1]
        let millis = Int64(whole.timeIntervalSince1970) * 1000 + Int64(fraction * scale)
        return Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    /// Encodes a message as one line, including the trailing newline.
    public static func line<Message: Encodable>(_ message: Message) throws -> [UInt8] {
        var bytes = [UInt8](try makeEncoder().encode(message))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}
