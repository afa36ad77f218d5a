import Shared
#if canImport(Glibc)
import Glibc
#endif

/// How large a service's console log may grow and how often the agent looks, read once at
/// agent start. The defaults suit production; the environment variables exist so tests (and an
/// operator with little disk) can make rotation happen without writing ten megabytes.
struct ConsoleLimits: Sendable {
    /// Rotate past this many bytes (the `.1` copy holds as much again).
    var cap = ConsoleLog.defaultCap
    /// Seconds between two looks at every service's console log.
    var checkInterval = 30.0

    /// `JOBFLEET_AGENT_CONSOLE_CAP` (bytes, at least 1024) and
    /// `JOBFLEET_AGENT_CONSOLE_CHECK_SECONDS` (at least 0.5) override the defaults; a value
    /// that does not parse or is out of range is ignored with a warning in the agent log.
    static func fromEnvironment(log: AgentLog) -> ConsoleLimits {
        var limits = ConsoleLimits()
        if let text = value("JOBFLEET_AGENT_CONSOLE_CAP") {
            if let cap = Int(text), cap >= 1024 { limits.cap = cap } else {
                log.warning("ignoring JOBFLEET_AGENT_CONSOLE_CAP: want a byte count of at least 1024", ["value": text])
            }
        }
        if let text = value("JOBFLEET_AGENT_CONSOLE_CHECK_SECONDS") {
            if let seconds = Double(text), seconds >= 0.5 { limits.checkInterval = seconds } else {
                log.warning("ignoring JOBFLEET_AGENT_CONSOLE_CHECK_SECONDS: want seconds, at least 0.5", ["value": text])
            }
        }
        return limits
    }

    private static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        let text = String(cString: raw).trimmed
        return text.isEmpty ? nil : text
    }
}
