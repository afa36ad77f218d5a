import FoundationEssentials
import Shared

/// Loads and saves the agent's state file atomically (temp file, fsync, rename).
struct StateStore: Sendable {
    let path: String

    /// The saved state; an empty one when none was ever saved. A file that cannot be read is
    /// an error, not a fresh start: starting empty would forget running services and start
    /// them a second time.
    func load() throws -> PersistedState {
        guard let bytes = try FileIO.read(path) else { return PersistedState() }
        do {
            return try AgentProtocol.makeDecoder().decode(PersistedState.self, from: Data(bytes))
        } catch {
            throw StateError(message: "the agent state \(path) is unreadable (\(error)); "
                + "move it aside to start with an empty state, then re-apply from the controller")
        }
    }

    func save(_ state: PersistedState) throws {
        let encoder = AgentProtocol.makeEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try FileIO.writeAtomically(path, [UInt8](try encoder.encode(state)), mode: 0o600)
    }
}

/// The state file could not be used.
struct StateError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
