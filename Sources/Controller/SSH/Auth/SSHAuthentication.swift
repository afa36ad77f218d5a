/// How the controller proves its identity to a host: key files, ssh-agent, or both.
public struct SSHAuthentication: Sendable, Hashable {
    /// Private key files to try in order (ed25519 or ECDSA; OpenSSH or PEM format).
    public var identityFiles: [String]
    /// Try the identities of a running ssh-agent before the key files.
    public var useAgent: Bool
    /// The agent's socket; `nil` means `SSH_AUTH_SOCK`.
    public var agentSocket: String?
    /// Environment variable holding the passphrase of protected key files.
    public var passphraseVariable: String
    /// Ask on the terminal when a key is protected and the variable is unset.
    public var promptOnTerminal: Bool

    /// The environment variable read for key passphrases unless told otherwise.
    public static let defaultPassphraseVariable = "JOBFLEET_SSH_PASSPHRASE"

    /// Authentication with the given key files and, optionally, ssh-agent.
    public init(identityFiles: [String] = [], useAgent: Bool = false, agentSocket: String? = nil,
                passphraseVariable: String = SSHAuthentication.defaultPassphraseVariable,
                promptOnTerminal: Bool = true) {
        self.identityFiles = identityFiles
        self.useAgent = useAgent
        self.agentSocket = agentSocket
        self.passphraseVariable = passphraseVariable
        self.promptOnTerminal = promptOnTerminal
    }
}
