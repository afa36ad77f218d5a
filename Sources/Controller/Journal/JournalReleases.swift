/// The releases the journal recorded for some instances, and the version each went with, read
/// before a rollback is planned (the planner itself reads nothing).
struct JournalReleases: Sendable {
    /// By `service@host`: releases newest first, without repeats.
    var releases: [String: [String]] = [:]
    /// By `service@host`, then release: the version recorded with it, when one was.
    var versions: [String: [String: String?]] = [:]

    /// What `journal` knows of `instances` of `fleet`; nothing when there is no journal or it
    /// cannot be read (the planner then asks for `--to`).
    static func read(_ journal: (any JournalStore)?, fleet: String, instances: [DesiredInstance]) async -> JournalReleases {
        var known = JournalReleases()
        guard let journal else { return known }
        for instance in instances {
            let host = instance.host.name
            let releases = (try? await journal.releases(fleet: fleet, host: host, service: instance.service)) ?? []
            known.releases[instance.label] = releases
            var versions: [String: String?] = [:]
            for release in releases {
                let version = try? await journal.version(fleet: fleet, host: host, service: instance.service, release: release)
                versions.updateValue(version ?? nil, forKey: release)
            }
            known.versions[instance.label] = versions
        }
        return known
    }
}
