import Foundation

/// Runs the built `jobfleet` binary the way an operator would.
public struct JobFleetCLI: Sendable {
    /// The binary beside the test bundle (`swift build --build-tests` builds it too).
    public static var binary: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [bundle.appendingPathComponent("jobfleet").path,
                          "\(Sandbox.repoRoot)/.build/debug/jobfleet"]
        if let explicit = ProcessInfo.processInfo.environment["JOBFLEET_BINARY"] { candidates.insert(explicit, at: 0) }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    public var journal: String
    public var environment: [String: String] = [:]

    public init(journal: String) { self.journal = journal }

    /// Runs `jobfleet ARGS --journal J` (the journal option goes to commands that take it).
    @discardableResult
    public func run(_ arguments: [String]) throws -> CommandResult {
        var env = environment
        env["JOBFLEET_JOURNAL"] = journal
        return try Command.run(Self.binary, arguments, environment: env)
    }

    /// Starts `jobfleet ARGS` without waiting; the caller may kill it.
    public func start(_ arguments: [String], output: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        env["JOBFLEET_JOURNAL"] = journal
        process.environment = env
        FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// A listening socket that counts connection attempts: proves a command contacted no host.
public final class ConnectionTrap: @unchecked Sendable {
    public let address: String
    public let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var accepted = 0
    private var open = true

    public init(address: String) throws {
        self.address = address
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        inet_pton(AF_INET, address, &addr.sin_addr)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw SandboxError(message: "cannot listen on \(address)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread.detachNewThread { [weak self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                close(client)
                guard let self else { return }
                self.lock.withLock { self.accepted += 1 }
            }
        }
    }

    /// Connections accepted so far.
    public var connections: Int { lock.withLock { accepted } }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
