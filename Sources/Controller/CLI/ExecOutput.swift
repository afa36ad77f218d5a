import Foundation

/// How `jobfleet exec` shows results: a block per host as each finishes (control characters
/// made visible by `Console`), JSON lines, or with `raw` the bytes as the command wrote them.
struct ExecOutput {
    var json: Bool
    var raw = false

    typealias Outcome = HostFanOut.Outcome<ExecResult>

    /// Prints one host's result.
    func show(_ outcome: Outcome) {
        if json {
            Console.json(HostRecord(outcome, ok: \.succeeded, detail: ExecDetail.init))
            return
        }
        let seconds = String(format: "%.2fs", outcome.duration.seconds)
        switch outcome.result {
        case .success(let result) where raw:
            // The output may be binary and piped on: only the bytes go to stdout.
            Console.err("== \(outcome.target.label): \(result.status) (\(seconds))\n")
            Console.raw(1, result.stdout)
            Console.raw(2, result.stderr)
        case .success(let result):
            var text = "== \(outcome.target.label): \(result.status) (\(seconds))\n"
            text += Self.block(result.stdoutText)
            if !result.stderr.isEmpty { text += "-- stderr\n" + Self.block(result.stderrText) }
            Console.out(text)
        case .failure(let error):
            let text = "== \(outcome.target.label): FAILED (\(seconds))\n\(Self.describe(error))\n"
            if raw { Console.err(text) } else { Console.out(text) }
        }
    }

    /// Prints a one-line summary to stderr and returns the exit code (see the command's help).
    func summarize(_ outcomes: [Outcome]) -> Int32 {
        var failed: [String] = []
        var unreachable: [String] = []
        for outcome in outcomes {
            switch outcome.result {
            case .success(let result): if !result.succeeded { failed.append(outcome.target.name) }
            case .failure: unreachable.append(outcome.target.name)
            }
        }
        if !json {
            var parts = ["\(outcomes.count - failed.count - unreachable.count) ok"]
            if !failed.isEmpty { parts.append("\(failed.count) failed (\(failed.joined(separator: ", ")))") }
            if !unreachable.isEmpty { parts.append("\(unreachable.count) not run (\(unreachable.joined(separator: ", ")))") }
            Console.err("\(outcomes.count) host\(outcomes.count == 1 ? "" : "s"): \(parts.joined(separator: ", "))\n")
        }
        if !unreachable.isEmpty { return 2 }
        return failed.isEmpty ? 0 : 1
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? SSHError {
            return error.hint.map { "\(error.message)\n  \($0)" } ?? error.message
        }
        return "\(error)"
    }

    private static func block(_ text: String) -> String {
        text.isEmpty || text.hasSuffix("\n") ? text : text + "\n"
    }
}

/// What `jobfleet exec --json` adds for a host that ran the command.
struct ExecDetail: Encodable {
    var exitStatus: Int32?
    var exitSignal: String?
    var stdout: String
    var stderr: String

    init(_ result: ExecResult) {
        stdout = result.stdoutText
        stderr = result.stderrText
        switch result.status {
        case .exited(let code): exitStatus = code
        case .signaled(let name): exitSignal = name
        }
    }
}
