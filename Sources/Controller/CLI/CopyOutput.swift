import Foundation

/// How `jobfleet copy` shows results: a line per host as each finishes, or JSON lines.
struct CopyOutput {
    var json: Bool
    var size: UInt64

    typealias Outcome = HostFanOut.Outcome<UploadResult>

    func show(_ outcome: Outcome) {
        let seconds = outcome.duration.seconds
        if json {
            Console.json(CopyRecord(outcome))
            return
        }
        switch outcome.result {
        case .success(let result):
            let rate = seconds > 0 ? Double(result.bytes) / seconds / 1_000_000 : 0
            Console.out(String(format: "%@: %@ %@ sha256 %@ (%.2fs, %.0f MB/s)\n",
                               outcome.target.label, result.remotePath, Self.bytes(result.bytes),
                               String(result.sha256.prefix(16)), seconds, rate))
        case .failure(let error):
            Console.out("\(outcome.target.label): FAILED\n\(ExecOutput.describe(error))\n")
        }
    }

    /// Prints a summary to stderr; true when every host has the file.
    func summarize(_ outcomes: [Outcome]) -> Bool {
        let failed = outcomes.filter { if case .failure = $0.result { true } else { false } }.map(\.target.name)
        if !json {
            var text = "\(outcomes.count) host\(outcomes.count == 1 ? "" : "s"): \(outcomes.count - failed.count) ok"
            if !failed.isEmpty { text += ", \(failed.count) failed (\(failed.joined(separator: ", ")))" }
            Console.err(text + "\n")
        }
        return failed.isEmpty
    }

    static func bytes(_ count: UInt64) -> String {
        if count < 1024 { return "\(count) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.1f %@", value, units[unit])
    }
}

/// One host of `jobfleet copy --json`.
struct CopyRecord: Encodable {
    var host: String
    var address: String
    var port: Int
    var ok: Bool
    var path: String?
    var bytes: UInt64?
    var sha256: String?
    var error: String?
    var errorKind: String?
    var durationSeconds: Double

    init(_ outcome: CopyOutput.Outcome) {
        host = outcome.target.name
        address = outcome.target.address
        port = outcome.target.port
        durationSeconds = (outcome.duration.seconds * 1000).rounded() / 1000
        switch outcome.result {
        case .success(let result):
            ok = true
            path = result.remotePath
            bytes = result.bytes
            sha256 = result.sha256
        case .failure(let failure):
            ok = false
            error = "\(failure)"
            errorKind = (failure as? SSHError)?.kind.rawValue
        }
    }
}
