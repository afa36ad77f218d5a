import Foundation

/// How `jobfleet copy` shows results: a block per host as each finishes, or JSON lines.
struct CopyOutput {
    var json: Bool

    typealias Outcome = HostFanOut.Outcome<[UploadResult]>

    func show(_ outcome: Outcome) {
        let seconds = outcome.duration.seconds
        if json {
            Console.json(HostRecord(outcome, ok: { _ in true }, detail: CopyDetail.init))
            return
        }
        switch outcome.result {
        case .success(let results):
            let total = results.reduce(0) { $0 + $1.bytes }
            // A rate says something only for transfers of some size.
            let rate = total >= 1 << 20 && seconds > 0 ? String(format: ", %.0f MB/s", Double(total) / seconds / 1e6) : ""
            var text = String(format: "%@: %d file%@, %@ (%.2fs%@)\n", outcome.target.label, results.count,
                              results.count == 1 ? "" : "s", Format.bytes(total), seconds, rate)
            for result in results {
                text += "  \(result.remotePath)  sha256 \(result.sha256.prefix(16))\n"
            }
            Console.out(text)
        case .failure(let error):
            Console.out("\(outcome.target.label): FAILED\n\(ExecOutput.describe(error))\n")
        }
    }

    /// Prints the one-line summary; the exit status (2 when a host was not reached, 1 when an
    /// upload failed).
    func summarize(_ outcomes: [Outcome]) -> Int32 {
        let failed = outcomes.filter { if case .failure = $0.result { true } else { false } }.map(\.target.name)
        if !json {
            var text = "\(outcomes.count) host\(outcomes.count == 1 ? "" : "s"): \(outcomes.count - failed.count) ok"
            if !failed.isEmpty { text += ", \(failed.count) failed (\(failed.joined(separator: ", ")))" }
            Console.err(text + "\n")
        }
        return ExitCodes.combined(outcomes.compactMap { if case .failure(let error) = $0.result { ExitCodes.status(of: error) } else { nil } })
    }
}

/// What `jobfleet copy --json` adds for a host that received the files.
struct CopyDetail: Encodable {
    /// One file as placed on the host.
    struct File: Encodable {
        var path: String
        var bytes: UInt64
        var sha256: String
    }

    var files: [File]

    init(_ results: [UploadResult]) {
        files = results.map { File(path: $0.remotePath, bytes: $0.bytes, sha256: $0.sha256) }
    }
}
