import ArgumentParser

/// Exit statuses, the same for every command.
enum ExitCodes {
    /// Something failed on a host: a command, a health gate, an upload.
    static let failed: Int32 = 1
    /// A host could not be reached or timed out.
    static let unreachable: Int32 = 2
    /// `plan` only: the fleet differs from the manifest.
    static let changesPending: Int32 = 3
    /// Another operator holds the deployment lease on a host.
    static let leaseHeld: Int32 = 4
    /// The manifest, catalog, env file or arguments are invalid; no host was contacted.
    static let invalidInput: Int32 = 64

    /// Prints what an error a command threw says and returns the `ExitCode` it stands for. The
    /// one place where errors become statuses; errors it does not know (ArgumentParser's own,
    /// an `ExitCode` a command chose, anything unforeseen) go back for ArgumentParser to report.
    static func settle(_ error: any Error) -> any Error {
        let status: Int32
        switch error {
        case is ConfigError, is UsageError: status = invalidInput
        case is LeaseHeld: status = leaseHeld
        case is CommandFailure: status = failed
        default: return error
        }
        Console.error("\(error)")
        return ExitCode(status)
    }
}
