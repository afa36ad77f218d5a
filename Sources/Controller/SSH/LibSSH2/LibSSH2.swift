import CLibSSH2

/// Process-wide libssh2 set-up and the algorithms JobFleet negotiates.
enum LibSSH2 {
    /// `libssh2_init` is not thread-safe and `session_init_ex` would call it implicitly on first
    /// use; a lazily initialised static runs exactly once, under the runtime's lock.
    ///
    /// OpenSSL is initialised first, without its exit handler. By default OpenSSL frees its
    /// global state from `atexit`, while session threads may still be ending (their thread-exit
    /// hooks free per-thread OpenSSL state) or closing a session: the two raced at exit and
    /// aborted the process with a double free after the command had done its work. Without the
    /// handler the kernel reclaims that memory when the process ends.
    private static let initialization: Int32 = {
        guard OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil) == 1 else { return -1 }
        return libssh2_init(0)
    }()

    /// Initialises libssh2 once; every session calls this before it is created.
    static func initialize() -> Bool { initialization == 0 }

    /// Method preferences set before every handshake. Host keys: ed25519 first (what Debian's
    /// OpenSSH clients record; libssh2 would otherwise pick ECDSA and read a false mismatch).
    /// Key exchange: curve25519 first, which costs far less than OpenSSH's default sntrup761.
    /// Ciphers and MACs: AES-CTR and HMAC-SHA2 only (libssh2 1.10 has neither chacha20-poly1305
    /// nor AES-GCM); aes128 first because it is the cheapest of the three on a busy controller
    /// and as safe in practice. No CBC, no SHA-1, no MD5 anywhere.
    static let preferences: [(method: Int32, list: String)] = [
        (LIBSSH2_METHOD_HOSTKEY, "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521"),
        (LIBSSH2_METHOD_KEX, "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"),
        (LIBSSH2_METHOD_CRYPT_CS, ciphers),
        (LIBSSH2_METHOD_CRYPT_SC, ciphers),
        (LIBSSH2_METHOD_MAC_CS, macs),
        (LIBSSH2_METHOD_MAC_SC, macs),
    ]

    private static let ciphers = "aes128-ctr,aes192-ctr,aes256-ctr"
    private static let macs = "hmac-sha2-256,hmac-sha2-512"

    /// What an operator needs to hear when negotiation fails.
    static let acceptedAlgorithms = "ed25519 or ECDSA host keys; curve25519, ECDH or SHA-2 Diffie-Hellman key exchange; AES-CTR ciphers; HMAC-SHA2 MACs"
}
