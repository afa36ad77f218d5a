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

    /// An encoder for protocol messages: compact, sorted keys, ISO 8601 dates.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// A decoder matching ``makeEncoder()``.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// Encodes a message as one line, including the trailing newline.
    public static func line<Message: Encodable>(_ message: Message) throws -> [UInt8] {
        var bytes = [UInt8](try makeEncoder().encode(message))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}
