import Foundation

/// The parts of OpenSSH's known_hosts format that JobFleet handles itself, around libssh2.
enum KnownHostsText {
    /// The host field OpenSSH writes for a host: `address` on port 22, `[address]:port` otherwise.
    static func hostField(address: String, port: Int) -> String {
        port == 22 ? address : "[\(address)]:\(port)"
    }

    /// `SHA256:` and unpadded base64, exactly as `ssh` and `ssh-keygen -l` print fingerprints.
    static func fingerprint(sha256 digest: [UInt8]) -> String {
        var encoded = Data(digest).base64EncodedString()
        while encoded.hasSuffix("=") { encoded.removeLast() }
        return "SHA256:" + encoded
    }

    /// The lines of a known_hosts file sorted into what libssh2 should read and what it must not.
    struct Contents: Equatable {
        /// Plain entries (hashed `|1|` or not), one per line, for `knownhost_readline`.
        var entries: [String] = []
        /// Base64 key blobs marked `@revoked`: refused for any host.
        var revokedKeys: Set<String> = []
    }

    /// Splits a known_hosts file. libssh2 1.10 stops reading at the first line it cannot parse
    /// and does not know the `@cert-authority` and `@revoked` markers, so lines are fed to it one
    /// by one and the markers are handled here: certificate authorities are ignored (JobFleet
    /// does not use host certificates) and revoked keys are refused whatever host they claim.
    static func parse(_ text: Substring) -> Contents {
        var contents = Contents()
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.drop(while: { $0 == " " || $0 == "\t" })
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("@") {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                // @revoked hostpatterns keytype base64key [comment]
                if fields.first == "@revoked", fields.count >= 4 {
                    contents.revokedKeys.insert(String(fields[3]))
                }
                continue
            }
            contents.entries.append(String(line))
        }
        return contents
    }

    /// What to append to a file so that `line` lands on a line of its own: a newline first when
    /// the file does not end with one (a hand-edited file), and one after.
    static func appendix(for line: String, fileEndsWithNewline: Bool) -> String {
        let body = line.hasSuffix("\n") ? line : line + "\n"
        return fileEndsWithNewline ? body : "\n" + body
    }

    /// The key type named at the start of an SSH public key blob (`ssh-ed25519`, …).
    static func keyType(ofBlob blob: [UInt8]) -> String? {
        var wire = SSHWire(blob)
        return wire.readString().flatMap { String(validating: $0, as: UTF8.self) }
    }
}
