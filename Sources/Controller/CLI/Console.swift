import Foundation

/// Where commands print: results to stdout, progress and problems to stderr, unbuffered so each
/// host's result appears as soon as it is known. On a terminal, progress can redraw one line;
/// elsewhere it is plain lines.
///
/// Every text written passes through the secret mask and then `TerminalText.neutralised`: text
/// from hosts reaches the terminal through log lines, diffs, failure excerpts and error messages
/// alike, so it is made harmless here, where it all leaves, rather than at each place that
/// might print some. JSON is escaped by its encoder instead, and `raw` writes bytes unchanged.
enum Console {
    /// True when stderr is a terminal (and not a dumb one).
    static let interactive = isatty(2) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"

    /// What every line written passes through. URL passwords are hidden from the start; once a
    /// command has read its env file, `hideSecrets` adds the values of its secret keys.
    private static let mask = NSLock.Protected(SecretMask.urlsOnly)

    /// From now on, nothing written shows what `secrets` hides.
    static func hideSecrets(_ secrets: SecretMask) { mask.set(secrets) }

    /// The mask in use, for text that goes elsewhere (the journal).
    static var secrets: SecretMask { mask.get() }

    static func out(_ text: String) { write(1, text) }
    static func err(_ text: String) { write(2, text) }

    /// A result line on stdout.
    static func line(_ text: String) { write(1, text + "\n") }
    /// A progress line on stderr.
    static func progress(_ text: String) { write(2, text + "\n") }
    static func error(_ text: String) { write(2, "error: " + text + "\n") }
    static func warn(_ text: String) { write(2, "warning: " + text + "\n") }

    /// Replaces the current terminal line (interactive only).
    static func status(_ text: String) {
        guard interactive else { return }
        send(2, Array("\r\u{1B}[2K".utf8) + rendered(text))
    }

    static func clearStatus() {
        guard interactive else { return }
        send(2, Array("\r\u{1B}[2K".utf8))
    }

    /// One JSON object on one line, keys in snake_case and sorted, for `--json`.
    static func json(_ value: some Encodable) {
        jsonLine((try? jsonEncoder(snakeCase: true).encode(value)) ?? Data("{}".utf8))
    }

    /// One encoded JSON object on one line of stdout, secrets hidden.
    static func jsonLine(_ data: Data) {
        send(1, Array(mask.get()(jsonText(data) + "\n").utf8))
    }

    /// `data` as text with DEL and the C1 controls written as `\u` escapes too: the encoder
    /// escapes only U+0000–U+001F, and a terminal may act on U+009B (CSI) as on ESC [. Outside
    /// strings JSON has only ASCII, so each of them is inside a string, where the escape means
    /// the same character.
    static func jsonText(_ data: Data) -> String {
        let text = String(decoding: data, as: UTF8.self)
        guard text.unicodeScalars.contains(where: TerminalText.isControl) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if TerminalText.isControl(scalar) {
                result.append(contentsOf: String(format: "\\u%04x", scalar.value).unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// Writes `bytes` to `fd` as they are: no mask, no neutralising (`exec --raw`).
    static func raw(_ fd: Int32, _ bytes: [UInt8]) { send(fd, bytes) }

    /// The encoder of `--json` output: sorted keys, RFC 3339 times with milliseconds.
    static func jsonEncoder(snakeCase: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        if snakeCase { encoder.keyEncodingStrategy = .convertToSnakeCase }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Format.rfc3339(date))
        }
        return encoder
    }

    /// The bytes written for `text`: secrets hidden, then control characters made visible.
    static func rendered(_ text: String) -> [UInt8] {
        Array(TerminalText.neutralised(mask.get()(text)).utf8)
    }

    private static func write(_ fd: Int32, _ text: String) { send(fd, rendered(text)) }

    private static func send(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}

extension NSLock {
    /// A value read and replaced under a lock.
    final class Protected<Value: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Value

        init(_ value: Value) { self.value = value }

        func get() -> Value { lock.withLock { value } }
        func set(_ newValue: Value) { lock.withLock { value = newValue } }
    }
}
