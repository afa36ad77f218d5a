import Foundation

/// Finds processes through /proc, to prove what a test started is gone.
public enum ProcessScan {
    /// A running process and its command line.
    public struct Entry: Sendable, CustomStringConvertible {
        public var pid: Int32
        public var commandLine: String
        public var description: String { "\(pid) \(commandLine)" }
    }

    /// Processes whose environment holds `JOBFLEET_SANDBOX=dir` or whose command line names `dir/hosts/`.
    public static func startedBySandbox(_ dir: String) -> [Entry] {
        let marker = Array("JOBFLEET_SANDBOX=\(dir)".utf8)
        let pathMarker = "\(dir)/hosts/"
        var found: [Entry] = []
        let me = getpid()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), pid != me else { continue }
            guard let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !cmd.isEmpty else { continue }
            let commandLine = String(decoding: cmd.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data()
            let inEnv = environ.split(separator: 0).contains { Array($0) == marker }
            if inEnv || commandLine.contains(pathMarker) {
                found.append(Entry(pid: pid, commandLine: commandLine))
            }
        }
        return found
    }
}
