/// Starting a journal entry from a command: a journal that cannot record it is a warning, and
/// the command goes on (its work matters more than its history).
extension JournalStore {
    /// The new entry's id, or nil (said on stderr) when it could not be recorded.
    func beginEntry(fleet: String, manifest: String, command: String, version: String?) async -> Int64? {
        do {
            return try await begin(fleet: fleet, manifest: manifest, command: command,
                                   arguments: Array(CommandLine.arguments.dropFirst()), version: version)
        } catch {
            Console.warn("could not start an entry in the journal \(location) (\(error)); this \(command) goes unrecorded")
            return nil
        }
    }
}
