import Foundation

/// Shows a rollout as it runs (one plain line per event; on a terminal, upload progress redraws
/// one line) and writes each event to the journal.
final class RolloutProgress: @unchecked Sendable {
    let journal: (any JournalStore)?
    let entry: Int64?
    private let lock = NSLock()
    private var uploads: [String: (sent: UInt64, total: UInt64)] = [:]
    private var lastDraw = ContinuousClock.now

    init(journal: (any JournalStore)?, entry: Int64?) {
        self.journal = journal
        self.entry = entry
    }

    var handle: @Sendable (RolloutEvent) -> Void { { [self] event in self.on(event) } }

    private func on(_ event: RolloutEvent) {
        lock.withLock {
            switch event {
            case .uploadProgress(let host, let sent, let total):
                uploads[host] = (sent, total)
                let now = ContinuousClock.now
                guard now - lastDraw > .milliseconds(100) else { return }
                lastDraw = now
                let sent = uploads.values.reduce(UInt64(0)) { $0 + $1.sent }
                let total = uploads.values.reduce(UInt64(0)) { $0 + $1.total }
                Console.status("uploading to \(uploads.count) host(s): \(Format.bytes(sent)) of \(Format.bytes(total))")
                return
            default:
                Console.clearStatus()
            }
            let (line, host, service, kind, ok, seconds) = describe(event)
            Console.progress(line)
            if let journal, let entry {
                journal.step(entry, host: host, service: service, kind: kind, message: line, seconds: seconds, ok: ok)
            }
        }
    }

    func finish() { lock.withLock { Console.clearStatus() } }

    // swiftlint:disable:next large_tuple
    private func describe(_ event: RolloutEvent) -> (String, String?, String?, String, Bool, Double?) {
        switch event {
        case let .uploading(host, files, bytes):
            return ("[\(host)] uploading \(files) jar(s), \(Format.bytes(bytes))", host, nil, "upload", true, nil)
        case .uploadProgress:
            return ("", nil, nil, "upload", true, nil)
        case let .uploaded(host, bytes, seconds):
            let rate = seconds > 0 ? Double(bytes) / seconds : 0
            return ("[\(host)] uploaded \(Format.bytes(bytes)) in \(Format.seconds(seconds)) (\(Format.bytes(UInt64(rate)))/s)",
                    host, nil, "uploaded", true, seconds)
        case let .wave(index, count, services):
            return ("wave \(index)/\(count): \(services.joined(separator: ", "))", nil, nil, "wave", true, nil)
        case let .waiting(service, reasons):
            return ("\(service): waiting for \(reasons.joined(separator: "; "))", nil, service, "gate", true, nil)
        case let .gateOpen(service):
            return ("\(service): dependencies ready", nil, service, "gate", true, nil)
        case let .step(instance, what):
            let (service, host) = split(instance)
            return ("\(instance): \(what)", host, service, "step", true, nil)
        case let .healthy(instance, seconds):
            let (service, host) = split(instance)
            return ("\(instance): healthy after \(Format.seconds(seconds))", host, service, "healthy", true, seconds)
        case let .failed(failure):
            return ("\(failure.instance): FAILED: \(failure.reason)", failure.host, failure.service, "failed", false, nil)
        case let .reverted(instance, release, healthy):
            let (service, host) = split(instance)
            return ("\(instance): reverted to release \(release ?? "?")\(healthy ? ", healthy again" : ", still not healthy")",
                    host, service, "reverted", healthy, nil)
        case let .stopped(host, services):
            return ("[\(host)] stopped \(services.joined(separator: ", ")) (no longer placed there)", host, nil, "stopped", true, nil)
        }
    }

    private func split(_ instance: String) -> (String, String) {
        let parts = instance.split(separator: "@", maxSplits: 1).map(String.init)
        return (parts.first ?? instance, parts.count > 1 ? parts[1] : "")
    }
}

/// The closing report of a rollout: what happened, and for each failure its own log lines.
enum RolloutReport {
    static func summary(_ result: RolloutResult, command: String = "deploy") -> String {
        let controlled = ["start": "started", "stop": "stopped", "restart": "restarted"][command]
        var parts = controlled.map { ["\(result.restarted.count) \($0)"] }
            ?? ["\(result.started.count) started", "\(result.restarted.count) replaced"]
        if !result.settled.isEmpty { parts.append("\(result.settled.count) waited for") }
        if result.uploadedBytes > 0 {
            parts.append("\(Format.bytes(result.uploadedBytes)) placed (\(Format.bytes(result.sentBytes)) sent)")
        }
        if !result.reverted.isEmpty { parts.append("\(result.reverted.count) reverted") }
        if !result.failures.isEmpty { parts.append("\(result.failures.count) failed") }
        return parts.joined(separator: ", ")
    }

    /// The report of `command` (deploy, rollback, restart, …).
    static func text(_ result: RolloutResult, command: String = "deploy") -> String {
        let title = command.prefix(1).uppercased() + command.dropFirst()
        var out = [(result.succeeded ? "\(title) succeeded: " : "\(title) FAILED: ") + summary(result, command: command)]
        for failure in result.failures {
            out.append("")
            out.append("\(failure.instance): \(failure.reason)")
            if !failure.excerpts.isEmpty {
                for excerpt in failure.excerpts {
                    out.append("  last lines of \(excerpt.path):")
                    out += excerpt.lines.map { "    \($0)" }
                }
            } else if !failure.logLines.isEmpty {
                out.append("  last lines of \(failure.logPath ?? "its log"):")
                out += failure.logLines.map { "    \($0)" }
            }
        }
        if !result.succeeded {
            out.append("")
            out.append(command == "deploy"
                ? "Healthy instances were left running. Fix the cause and run deploy again; it continues from where the fleet is."
                : "Healthy instances were left running. Fix the cause and run \(command) again.")
        }
        return out.joined(separator: "\n")
    }
}
