/// How a remote command ended.
public enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// The command exited with this status.
    case exited(Int32)
    /// The command was killed by this signal (name without `SIG`, as sshd reports it: `TERM`, `KILL`).
    case signaled(String)

    /// True for `exited(0)`.
    public var succeeded: Bool { self == .exited(0) }

    /// `exit 3` or `killed by SIGTERM`.
    public var description: String {
        switch self {
        case .exited(let code): return "exit \(code)"
        case .signaled(let name): return "killed by SIG\(name)"
        }
    }
}

/// What a remote command printed and how it ended.
public struct ExecResult: Sendable, Hashable {
    /// Everything the command wrote to standard output.
    public var stdout: [UInt8]
    /// Everything the command wrote to standard error.
    public var stderr: [UInt8]
    /// Exit status or terminating signal.
    public var status: ExitStatus

    /// A result as received from a host.
    public init(stdout: [UInt8], stderr: [UInt8], status: ExitStatus) {
        self.stdout = stdout
        self.stderr = stderr
        self.status = status
    }

    /// Standard output as text (invalid UTF-8 is replaced, never dropped).
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// Standard error as text (invalid UTF-8 is replaced, never dropped).
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    /// True when the command exited with status 0.
    public var succeeded: Bool { status.succeeded }
}
