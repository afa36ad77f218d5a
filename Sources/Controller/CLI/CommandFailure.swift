/// A command ran but did not get the fleet where it should be, for a reason it states. What
/// failed on each host has been shown as it happened; `status` is the exit status it stands
/// for (1 by default, 2 when it was a host that could not be reached).
struct CommandFailure: Error, CustomStringConvertible {
    /// What went wrong, for the operator.
    var message: String
    /// The exit status.
    var status: Int32 = ExitCodes.failed
    var description: String { message }
}
