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
/// Everything happens through handles of the service and releases directories, which must be
/// root's or the agent's (``AgentPaths/openServiceDir(_:)``); nothing follows a link.
struct ReleaseActivator {
    let paths: AgentPaths

    /// The release the link points at, or nil when it is missing or not a release link.
    func activeRelease(of service: String) -> String? {
        guard let target = (try? paths.openServiceDir(service))?.readLink("\(service).jar") else { return nil }
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
        let serviceDir: DirectoryHandle
        let releases: DirectoryHandle
        do {
            serviceDir = try paths.openServiceDir(service)
            releases = try serviceDir.directory("releases")
            try releases.verify(.agent)
            let releaseDir = try releases.directory(release)
            try releaseDir.verify(.agent)
            guard releaseDir.status(of: "\(service).jar") != nil else { throw PosixError("stat", path: jarPath, code: ENOENT) }
        } catch let error as PosixError where error.code == ENOENT {
            throw AgentFailure(.notFound, "\(jarPath) does not exist: upload the release before activating it", service: service)
        } catch {
            throw AgentFailure(.io, String(describing: error), service: service)
        }
        let current = activeRelease(of: service)
        let unchanged = current == release
        if !unchanged {
            let link = "\(service).jar"
            let temp = "\(link).tmp-\(getpid())"
            try? serviceDir.remove(temp)
            do {
                try serviceDir.symlink(jarRelative, at: temp)
            } catch {
                throw AgentFailure(.io, String(describing: error), service: service)
            }
            do {
                try serviceDir.rename(temp, to: link)
            } catch {
                try? serviceDir.remove(temp)
                throw AgentFailure(.io, "\(error); if \(serviceDir.pathOf(link)) is a regular file from a manual install, move it into releases/ first",
                                   service: service)
            }
            serviceDir.sync()
        }
        if let current, history.last != current { history.append(current) }
        if history.last != release { history.append(release) }
        history = Array(history.suffix(10))
        let previous = unchanged ? history.dropLast().last : current
        let removed = prune(releases, keep: max(keep, 2), protected: Set([release, previous].compactMap { $0 }))
        return ActivateResult(service: service, active: release, previous: previous, removed: removed, unchanged: unchanged)
    }

    /// Deletes the oldest releases (by modification time) beyond `keep`, sparing `protected`.
    /// Only real directories count as releases: a link in `releases/` is not one.
    private func prune(_ releases: DirectoryHandle, keep: Int, protected: Set<String>) -> [String] {
        let found = releases.list()
            .filter { !$0.hasPrefix(".") }
            .compactMap { name -> (name: String, time: Double)? in
                guard let info = releases.status(of: name), (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
                return (name, Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
            }
            .sorted { $0.time > $1.time }
        var kept = protected.count
        var removed: [String] = []
        for release in found where !protected.contains(release.name) {
            if kept < keep {
                kept += 1
                continue
            }
            if (try? releases.removeTree(release.name)) != nil { removed.append(release.name) }
        }
        return removed.sorted()
    }
}
