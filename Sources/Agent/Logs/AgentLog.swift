#if canImport(Glibc)
import Glibc
#endif

/// The agent's own log: one line per event, `2026-01-02T03:04:05Z INFO message key=value`,
/// rotated to `<file>.1` past a size cap. Thread-safe; never logs secrets (callers pass none).
final class AgentLog: Sendable {
    enum Level: String, Sendable { case info = "INFO", warning = "WARN", error = "ERROR" }

    private let path: String
    private let cap: Int
    private let state: Locked<(fd: Int32, written: Int)>
    /// Also copy lines to stderr (foreground runs under systemd, where the journal keeps them).
    private let echo: Bool

    init(path: String, cap: Int = 10 << 20, echo: Bool = false) {
        self.path = path
        self.cap = cap
        self.echo = echo
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        state = Locked((fd, FileIO.size(path) ?? 0))
    }

    deinit {
        state.withLock { if $0.fd >= 0 { close($0.fd) } }
    }

    func info(_ message: String, _ metadata: KeyValuePairs<String, String> = [:]) { write(.info, message, metadata) }
    func warning(_ message: String, _ metadata: KeyValuePairs<String, String> = [:]) { write(.warning, message, metadata) }
    func error(_ message: String, _ metadata: KeyValuePairs<String, String> = [:]) { write(.error, message, metadata) }

    private func write(_ level: Level, _ message: String, _ metadata: KeyValuePairs<String, String>) {
        var line = "\(Self.timestamp()) \(level.rawValue) \(message)"
        for (key, value) in metadata {
            line += value.contains(" ") ? " \(key)=\"\(value)\"" : " \(key)=\(value)"
        }
        line += "\n"
        let bytes = Array(line.utf8)
        state.withLock { state in
            if state.written + bytes.count > cap {
                rename(path, "\(path).1")
                close(state.fd)
                state.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
                state.written = 0
            }
            if state.fd >= 0 {
                try? FileIO.writeAll(state.fd, bytes)
                state.written += bytes.count
            }
            if echo { try? FileIO.writeAll(2, bytes) }
        }
    }

    /// UTC now as `YYYY-MM-DDTHH:MM:SSZ`.
    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        func pad(_ value: Int32, _ width: Int = 2) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(width - text.count, 0)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec))Z"
    }
}
