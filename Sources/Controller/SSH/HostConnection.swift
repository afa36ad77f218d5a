/// One authenticated session to one host: the seam between the controller and SSH.
///
/// Everything a command does on a host goes through one connection, one operation at a time
/// (calls from several tasks queue up in order). The planner and orchestrator depend on this
/// protocol only, so they can be tested with a scripted fake host.
public protocol HostConnection: AnyObject, Sendable {
    /// The host this connection reaches.
    var target: SSHTarget { get }

    /// Runs `command`, reading its standard output and error to the end.
    /// - Parameter timeout: bound on the whole command; `nil` uses the target's command timeout.
    /// - Returns: the output and exit status, whatever the status. Throws only when the command
    ///   could not be run or did not finish in time. After any timeout the connection is not used
    ///   again (the host may be hung in the middle of a packet): later calls fail; reconnect.
    func exec(_ command: RemoteCommand, timeout: Duration?) async throws -> ExecResult

    /// Uploads files: each goes to a temporary name beside its destination, is synced, given its
    /// exact mode, hashed on the host and compared with the local SHA-256, and only then renamed
    /// onto its final path. A failed or interrupted upload never leaves a partial file there.
    /// - Parameter timeout: how long a transfer may make no progress; `nil` uses the target's
    ///   command timeout.
    @discardableResult
    func upload(_ files: [UploadRequest], timeout: Duration?,
                progress: UploadProgressHandler?) async throws -> [UploadResult]

    /// Starts `command` with its standard input, output and error connected to a stream, for
    /// line-oriented conversations such as `jobfleet-agent rpc`.
    /// - Parameter timeout: bound on each read or write of the stream; `nil` uses the target's
    ///   command timeout. As with `exec`, a timeout ends the connection.
    func openStream(_ command: RemoteCommand, timeout: Duration?) async throws -> any HostStream

    /// Ends the session. Later calls fail; calling it twice is harmless.
    func close() async
}

/// A running remote command spoken to in lines (JSON lines for the agent rpc).
public protocol HostStream: AnyObject, Sendable {
    /// Sends bytes to the command's standard input.
    func write(_ bytes: [UInt8]) async throws

    /// The next line of the command's standard output without its newline, or `nil` at the end
    /// of output. A last line without a newline is returned as a line.
    /// - Parameter timeout: how long to wait for it; `nil` uses the stream's timeout. As with
    ///   every timeout, passing it ends the connection.
    func readLine(timeout: Duration?) async throws -> String?

    /// Closes the command's standard input (the command sees end of file).
    func finishWriting() async throws

    /// Ends the conversation: closes input, waits for the command to exit and returns how it
    /// ended together with the last of its standard error (for error messages).
    func close() async throws -> StreamOutcome
}

/// How a streamed command ended.
public struct StreamOutcome: Sendable, Hashable {
    /// Exit status or terminating signal.
    public var status: ExitStatus
    /// The last bytes (up to 64 KiB) the command wrote to standard error.
    public var stderrTail: String
}

extension HostConnection {
    /// Runs `command` with the target's command timeout.
    public func exec(_ command: RemoteCommand) async throws -> ExecResult {
        try await exec(command, timeout: nil)
    }

    /// Uploads one file with the target's command timeout.
    @discardableResult
    public func upload(_ file: UploadRequest, progress: UploadProgressHandler? = nil) async throws -> UploadResult {
        let results = try await upload([file], timeout: nil, progress: progress)
        return results[0]
    }

    /// Opens a stream with the target's command timeout.
    public func openStream(_ command: RemoteCommand) async throws -> any HostStream {
        try await openStream(command, timeout: nil)
    }
}

extension HostStream {
    /// The next line, waiting as long as the stream's timeout allows.
    public func readLine() async throws -> String? {
        try await readLine(timeout: nil)
    }

    /// Sends one line (a newline is added).
    public func write(line: String) async throws {
        try await write(Array((line + "\n").utf8))
    }
}

/// Opens connections; the orchestrator takes one so tests can hand it fake hosts.
public protocol HostConnector: Sendable {
    /// Connects, verifies the host key and authenticates, within the target's connect timeout.
    func connect(to target: SSHTarget) async throws -> any HostConnection
}
