import Shared

/// A command line for the remote user's shell.
///
/// Build it from arguments, each quoted with `ShellQuote`, so that paths and names can never
/// turn into shell code. `init(shell:)` is only for text an operator typed as a shell command.
public struct RemoteCommand: Sendable, Hashable, CustomStringConvertible {
    /// The exact line sshd hands to the remote shell.
    public let line: String

    /// A command from separate arguments, each quoted.
    public init(_ arguments: [String]) {
        line = ShellQuote.command(arguments)
    }

    /// A command from separate arguments, each quoted.
    public init(_ arguments: String...) {
        self.init(arguments)
    }

    /// A shell command line passed as is (the operator's own `jobfleet exec -- …`).
    public init(shell line: String) {
        self.line = line
    }

    /// The command line.
    public var description: String { line }
}
