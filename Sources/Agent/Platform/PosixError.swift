#if canImport(Glibc)
import Glibc
#endif

/// A failed system call, with what it was doing and on which path.
struct PosixError: Error, CustomStringConvertible {
    /// What was attempted, e.g. "open" or "bind".
    var operation: String
    /// The file or socket concerned, if any.
    var path: String?
    /// The errno value.
    var code: Int32

    init(_ operation: String, path: String? = nil, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    var description: String {
        let reason = String(cString: strerror(code))
        if let path { return "\(operation) \(path): \(reason)" }
        return "\(operation): \(reason)"
    }
}

/// Retries a system call interrupted by a signal.
@inline(__always)
func retryingOnEINTR<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result == -1 && errno == EINTR { continue }
        return result
    }
}
