import FoundationEssentials
import Shared
#if canImport(Glibc)
import Glibc
#endif

/// Flips a service's jar link to a release and prunes old releases.
///
/// `backend/<svc>/<svc>.jar` is a relative symlink to `releases/<id>/<svc>.jar`. The new link
/// is made under a temporary name and renamed over the old one: rename(2) replaces the link
/// atomically, so a reader (the ops script, a starting JVM) sees the old or the new jar.
struct ReleaseActivator {
    let paths: AgentPaths

    /// The release the link points at, or nil when it is missing or not a release link.
    func activeRelease(of service: String) -> String? {
        guard let target = FileIO.readLink(paths.jarLink(service)) else { return nil }
        let parts = target.split(separator: "/")
        guard let index = parts.lastIndex(of: "releases"), index + 1 < parts.count else { return nil }
        return String(parts[index + 1])
    }

    /// Points the link at `release`; `history` is the activation history (oldest first) and
    /// comes back updated. Removes releases beyond `keep`, never the active or previous one;
    /// among the others the newest (by modification time) stay, so a release uploaded for the
    /// next deploy survives an activation of another.
    func activate(service: String, release: String, keep: Int, history: inout [String]) throws(AgentFailure) -> ActivateResult {
        let jarRelative = "releases/\(release)/\(service).jar"
        let jarPath = "\(paths.serviceDir(service))/\(jarRelative)"
        guard FileIO.exists(jarPath) else {
            throw AgentFailure(.notFound, "\(jarPath) does not exist: upload the release before activating it", service: service)
        }
        let current = activeRelease(of: service)
        let unchanged = current == release
        if !unchanged {
            let link = paths.jarLink(service)
            let temp = "\(link).tmp-\(getpid())"
            unlink(temp)
            if symlink(jarRelative, temp) != 0 {
                throw AgentFailure(.io, PosixError("symlink", path: temp).description, service: service)
            }
            if rename(temp, link) != 0 {
                let failure = PosixError("rename", path: link)
                unlink(temp)
                throw AgentFailure(.io, "\(failure); if \(link) is a regular file from a manual install, move it into releases/ first", service: service)
            }
            FileIO.syncDirectory(of: link)
        }
        if let current, history.last != current { history.append(current) }
        if history.last != release { history.append(release) }
        history = Array(history.suffix(10))
        let previous = unchanged ? history.dropLast().last : current
        let removed = prune(service: service, keep: max(keep, 2), protected: Set([release, previous].compactMap { $0 }))
        return ActivateResult(service: service, active: release, previous: previous, removed: removed, unchanged: unchanged)
    }

    /// Deletes the oldest releases (by modification time) beyond `keep`, sparing `protected`.
    private func prune(service: String, keep: Int, protected: Set<String>) -> [String] {
        let dir = paths.releasesDir(service)
        let releases = FileIO.list(dir)
            .filter { FileIO.isDirectory("\(dir)/\($0)") && !$0.hasPrefix(".") }
            .map { (name: $0, time: FileIO.modificationTime("\(dir)/\($0)") ?? 0) }
            .sorted { $0.time > $1.time }
        var kept = protected.count
        var removed: [String] = []
        for release in releases where !protected.contains(release.name) {
            if kept < keep {
                kept += 1
                continue
            }
            if (try? FileIO.removeTree("\(dir)/\(release.name)")) != nil { removed.append(release.name) }
        }
        return removed.sorted()
    }
}
