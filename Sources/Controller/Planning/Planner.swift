import Shared

/// Turns what should be (a `DesiredFleet`) and what is (`ObservedHost`s) into a `Plan`.
/// Pure: no SSH, no clock.
public enum Planner {
    /// Computes the plan. `only` limits it to the named services (others are left as they are).
    /// Hosts in `unreached` (name → why) could not be observed: their plan is empty and says why.
    public static func plan(desired: DesiredFleet, observed: [ObservedHost], unreached: [String: String] = [:],
                            order: StartOrder = .fast, only: Set<String>? = nil) -> Plan {
        var hosts: [HostPlan] = []
        let served = servedChanges(desired: desired, observed: observed, unreached: unreached, only: only)
        for host in desired.manifest.hosts {
            if let reason = unreached[host.name] {
                hosts.append(HostPlan(host: host, uploads: [], files: [], changes: [], stops: [], unreached: reason))
                continue
            }
            let seen = observed.first { $0.host.name == host.name } ?? ObservedHost(host: host)
            let instances = desired.instances(on: host.name).filter { only?.contains($0.service) ?? true }
            var hostPlan = plan(host: host, instances: instances, observed: seen,
                                placed: Set(desired.instances(on: host.name).map(\.service)), only: only,
                                servedReasons: served.reasons)
            hostPlan.files += served.changes[host.name] ?? []
            hostPlan.symlinks = Set(hostPlan.files.map(\.file.remotePath)).intersection(seen.symlinks).sorted()
            hostPlan.javaProblems = JavaCheck.problems(instances: instances, facts: seen.facts,
                                                       runtime: desired.catalog.javaRuntime(for: desired.version),
                                                       version: desired.version)
            if !instances.isEmpty { hostPlan.accountProblem = seen.accountProblem }
            if !instances.isEmpty, let consul = host.consul, let problem = seen.consulProblem {
                hostPlan.consulProblem = ConsulCheck.refusal(consul, problem: problem)
            }
            hosts.append(hostPlan)
        }
        let services = orderedServices(desired: desired, only: only)
        let waves: [[String]]
        switch order {
        case .fast:
            waves = DependencyOrder.levels(of: services, in: desired.catalog.services)
        case .runbook:
            let runbook = desired.catalog.runbook.filter(services.contains)
            let rest = services.filter { !runbook.contains($0) }
            waves = runbook.map { [$0] } + DependencyOrder.levels(of: rest, in: desired.catalog.services)
        }
        var plan = Plan(hosts: hosts, waves: waves, order: order)
        plan.runningBefore = observed.reduce(0) { $0 + $1.services.values.filter { $0.desired == .running }.count }
        return plan
    }

    /// Placed services in catalog order.
    static func orderedServices(desired: DesiredFleet, only: Set<String>?) -> [String] {
        let placed = Set(desired.instances.map(\.service))
        return desired.catalog.services.map(\.name).filter { placed.contains($0) && (only?.contains($0) ?? true) }
    }

    static func plan(host: FleetManifest.Host, instances: [DesiredInstance], observed: ObservedHost,
                     placed: Set<String>, only: Set<String>?, servedReasons: [String: [String]] = [:]) -> HostPlan {
        var uploads: [ReleaseArtifact] = []
        var uploadPaths: [String] = []
        var files: [FileChange] = []
        var changes: [InstanceChange] = []
        for instance in instances {
            if !observed.hasRelease(instance.artifact) && !uploads.contains(instance.artifact) {
                uploads.append(instance.artifact)
                uploadPaths.append(instance.releaseJar)
            }
            var changedFiles: [String] = []
            for file in instance.files where observed.files[file.remotePath] != file.sha256 {
                let exists = observed.files[file.remotePath] != nil
                files.append(FileChange(service: instance.service, file: file,
                                        old: observed.fileContents[file.remotePath], exists: exists))
                changedFiles.append(file.remotePath)
            }
            changes.append(change(for: instance, status: observed.services[instance.service], changedFiles: changedFiles,
                                  served: servedReasons[instance.service] ?? []))
        }
        let stops = observed.services.values
            .filter { !placed.contains($0.name) && $0.desired == .running && (only?.contains($0.name) ?? true) }
            .map(\.name).sorted()
        var plan = HostPlan(host: host, uploads: uploads, files: files, changes: changes, stops: stops)
        plan.noSpace = spaceShortfall(zip(uploads, uploadPaths).map { ($0.size, $1) }, on: observed)
        return plan
    }

    /// What to tell the operator when the uploads (bytes, remote path) do not fit in the free
    /// space of the file systems they go to; nil when they fit or the host did not say.
    static func spaceShortfall(_ uploads: [(UInt64, String)], on observed: ObservedHost) -> String? {
        var need: [String: (bytes: UInt64, free: UInt64, path: String)] = [:]
        for (bytes, path) in uploads {
            guard let free = observed.diskFree[path] else { continue }
            // …/releases/<id>/job-x.jar: name the releases folder, which exists.
            let releases = path.split(separator: "/").dropLast(2).joined(separator: "/")
            need[free.mount, default: (0, free.availableBytes, "/" + releases)].bytes += bytes
        }
        let short = need.filter { $0.value.bytes > $0.value.free }.sorted { $0.key < $1.key }
        guard !short.isEmpty else { return nil }
        return short.map { mount, entry in
            "no space for the new release under \(entry.path) (file system \(mount)): "
                + "\(Format.bytes(entry.free)) free, the upload needs \(Format.bytes(entry.bytes))"
        }.joined(separator: "; ") + "; free some space there, then deploy again"
    }

    static func change(for instance: DesiredInstance, status: ServiceStatus?, changedFiles: [String],
                       served: [String] = []) -> InstanceChange {
        var result = bareChange(for: instance, status: status, changedFiles: changedFiles, served: served)
        result.previousRevision = status?.revision
        if result.action == .none { result.settling = Readiness.problem(instance, status) }
        return result
    }

    private static func bareChange(for instance: DesiredInstance, status: ServiceStatus?, changedFiles: [String],
                                   served: [String]) -> InstanceChange {
        let target = instance.artifact.id
        guard let status else {
            return InstanceChange(instance: instance, action: .start, reasons: ["new instance"], previousRelease: nil)
        }
        let previous = status.activeRelease ?? status.release
        var reasons: [String] = []
        if let running = status.release ?? status.activeRelease, running != target {
            reasons.append("release \(running) → \(target)")
        }
        if !changedFiles.isEmpty {
            reasons.append("changed: " + changedFiles.map { $0.split(separator: "/").last.map(String.init) ?? $0 }.joined(separator: ", "))
        }
        reasons += served
        if reasons.isEmpty && !instance.isCurrent(revision: status.revision) {
            reasons.append("service definition changed")
        }
        switch status.state {
        case .running where status.desired == .running && reasons.isEmpty && status.specCurrent:
            return InstanceChange(instance: instance, action: .none, reasons: [], previousRelease: previous)
        case .running, .backoff:
            if reasons.isEmpty {
                if !status.specCurrent {
                    reasons.append("running an older definition")
                } else if status.state == .backoff {
                    reasons.append("restarting after it exited (\(status.lastExit?.summary ?? "unknown"))")
                } else {
                    reasons.append("not desired running")
                }
            }
            return InstanceChange(instance: instance, action: status.state == .running ? .restart : .start,
                                  reasons: reasons, previousRelease: previous)
        case .failed:
            return InstanceChange(instance: instance, action: .start, reasons: ["failed: \(status.failedReason ?? "gave up restarting")"] + reasons,
                                  previousRelease: previous)
        case .stopped, .stopping:
            return InstanceChange(instance: instance, action: .start, reasons: ["not running"] + reasons, previousRelease: previous)
        case .waiting:
            // Its agent starts it once the gates pass; the rollout's own gate comes first.
            return InstanceChange(instance: instance, action: .start, reasons: [StatusText.waiting(status)] + reasons,
                                  previousRelease: previous)
        }
    }
}

extension Planner {
    /// Served configuration (job-config's `job-X/job-X.yml`) that differs on the hosts holding
    /// it: the file changes per holding host, and per consumer service the reasons its
    /// instances restart (`job-manage.yml changed on job-1`).
    static func servedChanges(desired: DesiredFleet, observed: [ObservedHost], unreached: [String: String],
                              only: Set<String>?) -> (changes: [String: [FileChange]], reasons: [String: [String]]) {
        var changes: [String: [FileChange]] = [:]
        var reasons: [String: [String]] = [:]
        for seen in observed where unreached[seen.host.name] == nil {
            for (service, file) in desired.served(on: seen.host.name) where only?.contains(service) ?? true {
                guard seen.files[file.remotePath] != file.sha256 else { continue }
                let exists = seen.files[file.remotePath] != nil
                changes[seen.host.name, default: []].append(FileChange(service: service, file: file,
                    old: seen.fileContents[file.remotePath], exists: exists, served: true))
                let name = file.remotePath.split(separator: "/").last.map(String.init) ?? file.remotePath
                let owner = desired.catalog.service(service)?.configs
                    .first { $0.servedBy != nil && file.remotePath.hasSuffix("/\($0.dest)") }?.servedBy ?? "another service"
                reasons[service, default: []].append("\(name) changed on \(seen.host.name) (served by \(owner))")
            }
        }
        return (changes, reasons)
    }
}
