import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// `jobfleet-agent rpc`: the bridge the controller runs over SSH.
struct RPCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Relay JSON-lines requests from stdin to the agent and responses to stdout.",
        discussion: "Starts the daemon first if none is running for this BK_HOME (disable with --no-start).")

    @OptionGroup var options: HomeOptions

    @Flag(inversion: .prefixedNo, help: "Start the daemon when none answers.")
    var start = true

    func run() throws {
        let status = RPCFastPath.bridge(home: options.home, autostart: start)
        if status != 0 { throw ExitCode(status) }
    }
}

/// Writes to stderr without Foundation's FileHandle.
enum FileHandleLike {
    static func standardError(_ text: String) {
        try? FileIO.writeAll(2, Array(text.utf8))
    }
}

/// The rpc bridge started without the command-line parser.
public enum RPCFastPath {
    /// Runs `rpc --home /ABS/PATH` — exactly what the controller runs on every connection —
    /// without building the command-line parser, whose start-up costs a few milliseconds of CPU
    /// per connection on hosts the whole fleet connects to at once. Nil for any other argument
    /// list, which then goes through the parser as usual.
    public static func run(_ arguments: [String]) -> Int32? {
        guard arguments.count == 3, arguments[0] == "rpc", arguments[1] == "--home",
              arguments[2].hasPrefix("/") else { return nil }
        return bridge(home: arguments[2], autostart: true)
    }

    /// Runs the bridge; its exit status (2 when it could not reach or start the daemon).
    static func bridge(home: String, autostart: Bool) -> Int32 {
        do {
            return try RPCBridge.run(home: home, autostart: autostart)
        } catch let error as BridgeError {
            FileHandleLike.standardError("jobfleet-agent rpc: \(error.message)\n")
            return 2
        } catch {
            FileHandleLike.standardError("jobfleet-agent rpc: \(error)\n")
            return 1
        }
    }
}
