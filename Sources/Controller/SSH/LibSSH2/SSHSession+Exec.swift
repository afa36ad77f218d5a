extension SSHSession {
    /// Runs `command` to completion: input closed at once (like `ssh -n`), stdout and stderr
    /// drained together, then the exit status or signal.
    func exec(_ command: RemoteCommand, timeout: Duration?) throws -> ExecResult {
        try ensureUsable()
        let deadline = Deadline.after(timeout, .command)
        let channel = try SSHChannel(session: self, command: command, until: deadline)
        try channel.sendEOF(until: deadline)
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        try channel.readToEnd(until: deadline) { stream, bytes in
            switch stream {
            case .stdout: stdout.append(contentsOf: bytes)
            case .stderr: stderr.append(contentsOf: bytes)
            }
        }
        let status = try channel.finish(until: deadline)
        return ExecResult(stdout: stdout, stderr: stderr, status: status)
    }
}
