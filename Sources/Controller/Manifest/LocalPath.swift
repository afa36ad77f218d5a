import Foundation

/// Paths on the controller's own machine, as written in manifests: `~` means the operator's
/// home, relative paths are relative to the file that names them.
enum LocalPath {
    static func absolute(_ path: String, relativeTo base: String) -> String {
        var expanded = path
        if path == "~" || path.hasPrefix("~/") {
            let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
            expanded = home + path.dropFirst()
        }
        if !expanded.hasPrefix("/") {
            expanded = (base as NSString).appendingPathComponent(expanded)
        }
        return (expanded as NSString).standardizingPath
    }
}
