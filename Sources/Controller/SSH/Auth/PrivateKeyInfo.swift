import Foundation

/// What JobFleet must know about a private key file before offering it: its algorithm (libssh2
/// 1.10 cannot make RSA signatures that current OpenSSH accepts) and whether it needs a passphrase.
struct PrivateKeyInfo: Equatable, Sendable {
    /// The key's algorithm family.
    enum Algorithm: Equatable, Sendable {
        case ed25519, ecdsa, rsa, dsa
        /// Another algorithm, by its SSH name (for example a security-key type).
        case other(String)
        /// A format that does not say (PKCS#8).
        case unknown
    }

    var algorithm: Algorithm
    var isEncrypted: Bool

    /// Reads the key file at `path`; nil when it is not a private key format JobFleet recognises.
    static func read(path: String) throws -> PrivateKeyInfo? {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IdentityError.unreadable(path: path)
        }
        return parse(String(decoding: data, as: UTF8.self))
    }

    /// Recognises OpenSSH (`openssh-key-v1`), PEM (`RSA`/`EC`/`DSA PRIVATE KEY`, with or without
    /// `Proc-Type: 4,ENCRYPTED`) and PKCS#8 key files.
    static func parse(_ text: String) -> PrivateKeyInfo? {
        if let body = pemBody(text, label: "OPENSSH PRIVATE KEY") {
            return parseOpenSSH(body)
        }
        let encryptedPEM = text.contains("Proc-Type: 4,ENCRYPTED")
        let pemKinds: [(String, Algorithm)] = [("RSA PRIVATE KEY", .rsa), ("EC PRIVATE KEY", .ecdsa), ("DSA PRIVATE KEY", .dsa)]
        for (label, algorithm) in pemKinds where pemBody(text, label: label) != nil {
            return PrivateKeyInfo(algorithm: algorithm, isEncrypted: encryptedPEM)
        }
        if pemBody(text, label: "ENCRYPTED PRIVATE KEY") != nil {
            return PrivateKeyInfo(algorithm: .unknown, isEncrypted: true)
        }
        if pemBody(text, label: "PRIVATE KEY") != nil {
            return PrivateKeyInfo(algorithm: .unknown, isEncrypted: false)
        }
        return nil
    }

    /// The algorithm family of an SSH key type name.
    static func algorithm(ofKeyType name: String) -> Algorithm {
        switch name {
        case "ssh-ed25519": return .ed25519
        case "ssh-rsa": return .rsa
        case "ssh-dss": return .dsa
        case _ where name.hasPrefix("ecdsa-sha2-"): return .ecdsa
        default: return .other(name)
        }
    }

    /// The base64 text between `-----BEGIN label-----` and `-----END label-----`.
    private static func pemBody(_ text: String, label: String) -> Substring? {
        guard let begin = text.range(of: "-----BEGIN \(label)-----"),
              let end = text.range(of: "-----END \(label)-----", range: begin.upperBound..<text.endIndex)
        else { return nil }
        return text[begin.upperBound..<end.lowerBound]
    }

    /// `openssh-key-v1\0`, cipher name, KDF name, KDF options, key count, then the public key,
    /// all unencrypted: enough to learn the type and whether a passphrase is needed.
    private static func parseOpenSSH(_ body: Substring) -> PrivateKeyInfo? {
        let compact = body.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: String(compact)) else { return nil }
        var wire = SSHWire(Array(data))
        let magic = Array("openssh-key-v1".utf8) + [0]
        guard wire.readBytes(magic.count) == magic,
              let cipher = wire.readString(), wire.readString() != nil, wire.readString() != nil,
              let count = wire.readUInt32(), count >= 1,
              let publicKey = wire.readString(),
              let type = KnownHostsText.keyType(ofBlob: publicKey)
        else { return nil }
        return PrivateKeyInfo(algorithm: algorithm(ofKeyType: type), isEncrypted: cipher != Array("none".utf8))
    }
}

/// Why an identity file cannot be offered, worded for the operator.
enum IdentityError: Error, CustomStringConvertible {
    case unreadable(path: String)
    case passphraseUnavailable(path: String, variable: String)

    var description: String {
        switch self {
        case .unreadable(let path):
            return "cannot read identity file \(path): check the path and that it is readable by this user"
        case .passphraseUnavailable(let path, let variable):
            return "identity file \(path) is protected by a passphrase: set \(variable), run from a terminal to be asked, or load it into ssh-agent (ssh-add \(path)) and enable the agent"
        }
    }
}
