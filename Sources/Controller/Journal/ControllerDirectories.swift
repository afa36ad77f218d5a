import Foundation

/// Where the controller keeps its own files, by the XDG base directory rules: what it records
/// (journal, run locks) under the state home, what it can make again (checksums, unpacked
/// releases) under the cache home.
enum ControllerDirectories {
    /// `$XDG_STATE_HOME/jobfleet`, else `~/.local/state/jobfleet`.
    static var state: String { "\(base("XDG_STATE_HOME", fallback: ".local/state"))/jobfleet" }

    /// `$XDG_CACHE_HOME/jobfleet`, else `~/.cache/jobfleet`.
    static var cache: String { "\(base("XDG_CACHE_HOME", fallback: ".cache"))/jobfleet" }

    /// The variable's value when set and not empty, else `fallback` under HOME.
    private static func base(_ variable: String, fallback: String) -> String {
        let env = ProcessInfo.processInfo.environment
        return env[variable].flatMap { $0.isEmpty ? nil : $0 } ?? "\(env["HOME"] ?? NSHomeDirectory())/\(fallback)"
    }
}
