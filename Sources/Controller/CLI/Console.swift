import Foundation

/// Where commands print: unbuffered, so each host's result appears as soon as it is known.
enum Console {
    static func out(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }
    static func err(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// One JSON object on one line, keys in snake_case and sorted, for `--json`.
    static func json(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        out(String(decoding: data, as: UTF8.self) + "\n")
    }
}

extension Duration {
    /// The duration in seconds, for display.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
