import Foundation

/// Where commands print: results to stdout, progress and problems to stderr, unbuffered so each
/// host's result appears as soon as it is known. On a terminal, progress can redraw one line;
/// elsewhere it is plain lines.
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
        write(2, "\r\u{1B}[2K" + text)
    }

    static func clearStatus() {
        guard interactive else { return }
        write(2, "\r\u{1B}[2K")
    }

    /// One JSON object on one line, keys in snake_case and sorted, for `--json`.
    static func json(_ value: some Encodable) {
        let data = (try? jsonEncoder(snakeCase: true).encode(value)) ?? Data("{}".utf8)
        out(String(decoding: data, as: UTF8.self) + "\n")
    }

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

    private static func write(_ fd: Int32, _ text: String) {
        let bytes = Array(mask.get()(text).utf8)
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
