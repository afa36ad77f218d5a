/// A command ran but did not get the fleet where it should be, for a reason it states (exit
/// status 1). What failed on each host has been shown as it happened.
struct CommandFailure: Error, CustomStringConvertible {
    /// What went wrong, for the operator.
    var message: String
    var description: String { message }
}
