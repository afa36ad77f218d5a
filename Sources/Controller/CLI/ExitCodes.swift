import ArgumentParser

/// Exit statuses, the same for every command.
enum ExitCodes {
    /// Something failed on a host: a command, a health gate, an upload.
    static let failed: Int32 = 1
    /// A host could not be reached or timed out; also the shared journal's database.
    static let unreachable: Int32 = 2
    /// `plan` only: the fleet differs from the manifest.
    static let changesPending: Int32 = 3
    /// Another operator holds the deployment lease on a host.
    static let leaseHeld: Int32 = 4
    /// The manifest, catalog, env file or arguments are invalid; no host was contacted.
    static let invalidInput: Int32 = 64

    /// The status a failure on one host stands for: `unreachable` when the host, its sshd or
    /// its agent could not be reached, refused us, or did not answer in time; `failed` when it
    /// answered with a failure.
    static func status(of error: any Error) -> Int32 {
        if error is LeaseHeld { return leaseHeld }
        return HostFailure.isUnreachable(error) ? unreachable : failed
    }

    /// The status of a command whose hosts ended with `statuses`: a held lease first, then an
    /// unreachable host, then a failure, then (for `plan`) pending changes; 0 when all are 0.
    static func combined(_ statuses: some Sequence<Int32>) -> Int32 {
        let order: [Int32] = [leaseHeld, unreachable, failed, changesPending]
        let present = Set(statuses)
        return order.first(where: present.contains) ?? 0
    }

    /// Prints what an error a command threw says and returns the `ExitCode` it stands for. The
    /// one place where errors become statuses; errors it does not know (ArgumentParser's own,
    /// an `ExitCode` a command chose, anything unforeseen) go back for ArgumentParser to report.
    static func settle(_ error: any Error) -> any Error {
        let status: Int32
        switch error {
        case is ConfigError, is UsageError: status = invalidInput
        case is LeaseHeld: status = leaseHeld
        case let failure as CommandFailure: status = failure.status
        case is SSHError, is HostFailure: status = self.status(of: error)
        // The shared journal's server is a host the command needs: refused or not reached.
        case is JournalUnavailable: status = unreachable
        case is JournalSchemaTooNew: status = failed
        default: return error
        }
        Console.error("\(error)")
        return ExitCode(status)
    }
}
