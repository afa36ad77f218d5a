/// Input a command cannot work with although the files are valid: a host or service the
/// manifest does not have, a key or agent binary that cannot be used. Nothing was contacted.
struct UsageError: Error, CustomStringConvertible {
    /// What is wrong and what to use instead.
    var message: String
    var description: String { message }
}
