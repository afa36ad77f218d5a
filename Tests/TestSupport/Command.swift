import Foundation

/// The outcome of a local command run by a test.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var succeeded: Bool { status == 0 }
}

/// Runs local programs for integration tests (sandbox script, OpenSSH's own `ssh`).
public enum Command {
    /// Runs `executable` with `arguments`, waits, and returns its exit status and output.
    /// Output goes through temporary files so a chatty program can never block on a full pipe.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String],
                           environment: [String: String] = [:],
                           currentDirectory: String? = nil, input: String? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/")
            ? executable : (Prerequisites.find(executable) ?? executable))
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let dir = FileManager.default.temporaryDirectory
        let outURL = dir.appendingPathComponent("jobfleet-test-\(UUID().uuidString).out")
        let errURL = dir.appendingPathComponent("jobfleet-test-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        var inputURL: URL?
        if let input {
            let url = dir.appendingPathComponent("jobfleet-test-\(UUID().uuidString).in")
            try Data(input.utf8).write(to: url)
            process.standardInput = try FileHandle(forReadingFrom: url)
            inputURL = url
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        defer { if let inputURL { try? FileManager.default.removeItem(at: inputURL) } }
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return CommandResult(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }
}
