#if canImport(Glibc)
import Glibc
#endif

/// One step of stopping a service: SIGTERM first, SIGKILL once the stop timeout has passed.
/// The raw value is what the state file and the protocol's `stopStep` carry.
enum StopStep: String, Codable, Sendable, CaseIterable {
    case terminate = "SIGTERM"
    case kill = "SIGKILL"

    /// The signal this step sends to the service's process group.
    var signal: Int32 {
        switch self {
        case .terminate: SIGTERM
        case .kill: SIGKILL
        }
    }

    /// The step that follows when this one has not ended the process in time.
    var next: StopStep? {
        switch self {
        case .terminate: .kill
        case .kill: nil
        }
    }
}
