extension LoadedManifest {
    /// The SSH target of each of `hosts`, with the key's passphrase asked now (or read from
    /// the environment) so that no prompt appears while connections run against their
    /// deadlines. A key that cannot be used is a `UsageError`: no host was contacted.
    func sshTargets(_ hosts: [FleetManifest.Host], commandTimeout: Duration? = nil) throws(UsageError) -> [SSHTarget] {
        let targets = hosts.map { SSHTarget(host: $0, ssh: manifest.ssh, commandTimeout: commandTimeout) }
        if let first = targets.first, !manifest.ssh.useAgent {
            do { try Passphrases.shared.prepare(first.authentication) } catch { throw UsageError(message: "\(error)") }
        }
        return targets
    }
}
