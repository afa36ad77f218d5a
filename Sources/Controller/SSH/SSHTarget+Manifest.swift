extension SSHTarget {
    /// The target for one host of a fleet manifest, with the fleet's SSH settings.
    public init(host: FleetManifest.Host, ssh: FleetManifest.SSHSettings, commandTimeout: Duration? = nil) {
        self.init(
            name: host.name, address: host.address, port: host.port, user: host.user,
            authentication: SSHAuthentication(identityFiles: ssh.identities, useAgent: ssh.useAgent),
            knownHostsPath: ssh.knownHosts,
            hostKeyPolicy: ssh.hostKeys == .acceptNew ? .acceptNew : .strict,
            connectTimeout: ssh.connectTimeout,
            commandTimeout: commandTimeout ?? ssh.commandTimeout)
    }
}
