/// Quoting for POSIX shells. Every remote command JobFleet builds goes through here,
/// because sshd hands the command string to the remote user's shell.
public enum ShellQuote {
    /// Characters that never need quoting in a POSIX shell word.
    private static let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")

    /// Quotes one word so the shell passes it through unchanged as a single argument.
    /// Plain words stay readable; anything else is wrapped in single quotes.
    public static func word(_ value: String) -> String {
        if !value.isEmpty && value.allSatisfy({ safe.contains($0) }) {
            return value
        }
        return "'" + value.replacing("'", with: "'\\''") + "'"
    }

    /// Joins arguments into one command line, each quoted.
    public static func command(_ arguments: [String]) -> String {
        arguments.map(word).joined(separator: " ")
    }
}
