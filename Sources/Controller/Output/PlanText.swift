import Foundation

/// `jobfleet plan`'s human output: per host the uploads, file changes (as diffs, secrets
/// hidden), starts, restarts and stops; then the waves and a summary.
public enum PlanText {
    /// The plan as text; the header names `release` (version, tarball and digest) when given.
    public static func render(_ plan: Plan, fleet: String, mask: SecretMask, release: ResolvedRelease? = nil) -> String {
        var header = "Plan for fleet \(fleet): \(plan.hosts.count) host(s), order \(plan.order.rawValue)"
        if let release { header += ", \(release.label)" }
        var out: [String] = [header]
        if plan.stopsEverything {
            out.append("This plan stops every running instance of the fleet (\(plan.runningBefore)) and starts none: "
                       + "deploy needs --allow-stop-all as well as --yes.")
        }
        out.append("")
        for host in plan.hosts {
            out.append(host.host.label)
            if let reason = host.unreached {
                out.append("  not reached: \(reason)")
                out.append("  nothing planned for this host: what it would need is unknown")
                out.append("")
                continue
            }
            if !host.hasChanges && host.settling.isEmpty {
                out.append("  no changes")
                out.append("")
                continue
            }
            for artifact in host.uploads {
                out.append(row("upload", artifact.service, "release \(artifact.id)  \(Format.bytes(artifact.size))"))
            }
            for reason in host.cannot { out.append("  CANNOT  \(reason)") }
            // A served file several services read (job-common) is one row naming them all.
            var servedTo: [String: [String]] = [:]
            for change in host.files where change.served { servedTo[change.file.remotePath, default: []].append(change.service) }
            for change in host.files {
                let relative = change.file.remotePath.hasPrefix(host.host.bkHome + "/")
                    ? String(change.file.remotePath.dropFirst(host.host.bkHome.count + 1)) : change.file.remotePath
                var note = ""
                if change.served, let readers = servedTo.removeValue(forKey: change.file.remotePath) {
                    note = readers.count == 1 ? "  (served to \(change.service); restarts its instances)"
                        : "  (served to \(readers.joined(separator: ", ")); restarts their instances)"
                } else if change.served {
                    continue
                }
                out.append(row(change.exists ? "update" : "create", change.service, relative + note))
                if let old = change.old {
                    out += SecretDiff.hunks(old: String(decoding: old, as: UTF8.self),
                                            new: String(decoding: change.file.content, as: UTF8.self),
                                            secretLines: change.file.secretLines, template: change.file.templateLines,
                                            mask: mask)
                        .map { "             \($0)" }
                }
            }
            for change in host.changes where change.action != .none {
                out.append(row(change.action.rawValue, change.instance.service, change.reasons.joined(separator: "; ")))
            }
            for service in host.stops {
                out.append(row("stop", service, "no longer placed on this host"))
            }
            for change in host.settling {
                out.append(row("wait", change.instance.service, "current, but \(change.settling ?? "not ready"); deploy waits for it"))
            }
            out.append("")
        }
        let active = plan.waves
            .map { wave in wave.filter { service in plan.changes(of: service).contains { $0.action != .none } } }
            .filter { !$0.isEmpty }
        if !active.isEmpty {
            out.append("Waves (each starts when the services it depends on are healthy on every host):")
            for (index, wave) in active.enumerated() {
                out.append("  \(index + 1). \(wave.joined(separator: ", "))")
            }
            out.append("")
        }
        out.append(summary(plan))
        return out.joined(separator: "\n")
    }

    public static func summary(_ plan: Plan) -> String {
        let changes = plan.hosts.flatMap(\.changes)
        let uploads = plan.hosts.flatMap(\.uploads)
        let bytes = plan.hosts.reduce(UInt64(0)) { $0 + $1.uploadBytes }
        let settling = plan.settling.count
        let waits = settling == 0 ? "" : "; \(settling) instance(s) not healthy yet: deploy waits for them"
        let unreached = plan.unreached.map(\.host.name)
        let reachedOnly = unreached.isEmpty ? "" : " on the hosts reached"
        let missing = unreached.isEmpty ? ""
            : "\n\(unreached.count) host(s) not reached (\(unreached.joined(separator: ", "))): nothing is known or planned for them."
        if !plan.hasChanges {
            return (unreached.isEmpty ? "No changes: the fleet matches the manifest\(waits)."
                                      : "No changes\(reachedOnly)\(waits).") + missing
        }
        return "\(uploads.count) upload(s) (\(Format.bytes(bytes))), "
            + "\(plan.hosts.flatMap(\.files).count) file(s), "
            + "\(changes.filter { $0.action == .start }.count) start(s), "
            + "\(changes.filter { $0.action == .restart }.count) restart(s), "
            + "\(plan.hosts.flatMap(\.stops).count) stop(s)" + reachedOnly + waits + missing
    }

    private static func row(_ action: String, _ service: String, _ detail: String) -> String {
        "  " + action.padding(toLength: 8, withPad: " ", startingAt: 0) + " "
            + service.padding(toLength: 17, withPad: " ", startingAt: 0) + " " + detail
    }
}
