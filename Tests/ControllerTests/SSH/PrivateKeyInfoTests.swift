import Foundation
import Testing
@testable import Controller

@Suite("Private key files")
struct PrivateKeyInfoTests {
    /// An OpenSSH-format key file with the given cipher and public key type. Only the clear
    /// header is meaningful: that is all JobFleet reads before handing the file to libssh2.
    static func openSSHKey(cipher: String, type: String) -> String {
        func string(_ bytes: [UInt8]) -> [UInt8] {
            let count = UInt32(bytes.count)
            return [UInt8(count >> 24), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)] + bytes
        }
        var data = Array("openssh-key-v1".utf8) + [0]
        data += string(Array(cipher.utf8))
        data += string(Array((cipher == "none" ? "none" : "bcrypt").utf8))
        data += string([])
        data += [0, 0, 0, 1]
        data += string(string(Array(type.utf8)) + string([UInt8](repeating: 7, count: 32)))
        data += string([UInt8](repeating: 9, count: 64))
        let body = Data(data).base64EncodedString(options: .lineLength64Characters)
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n\(body)\n-----END OPENSSH PRIVATE KEY-----\n"
    }

    @Test("OpenSSH key files tell their type and whether a passphrase protects them", arguments: [
        ("none", "ssh-ed25519", PrivateKeyInfo(algorithm: .ed25519, isEncrypted: false)),
        ("aes256-ctr", "ssh-ed25519", PrivateKeyInfo(algorithm: .ed25519, isEncrypted: true)),
        ("none", "ecdsa-sha2-nistp256", PrivateKeyInfo(algorithm: .ecdsa, isEncrypted: false)),
        ("none", "ssh-rsa", PrivateKeyInfo(algorithm: .rsa, isEncrypted: false)),
        ("none", "sk-ssh-ed25519@openssh.com", PrivateKeyInfo(algorithm: .other("sk-ssh-ed25519@openssh.com"), isEncrypted: false)),
    ])
    func openSSH(cipher: String, type: String, expected: PrivateKeyInfo) {
        #expect(PrivateKeyInfo.parse(Self.openSSHKey(cipher: cipher, type: type)) == expected)
    }

    @Test("PEM key files tell their type from the label and encryption from Proc-Type")
    func pem() {
        #expect(PrivateKeyInfo.parse("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n")
            == PrivateKeyInfo(algorithm: .rsa, isEncrypted: false))
        #expect(PrivateKeyInfo.parse("-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMHc\n-----END EC PRIVATE KEY-----\n")
            == PrivateKeyInfo(algorithm: .ecdsa, isEncrypted: true))
        #expect(PrivateKeyInfo.parse("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMII\n-----END ENCRYPTED PRIVATE KEY-----\n")
            == PrivateKeyInfo(algorithm: .unknown, isEncrypted: true))
        #expect(PrivateKeyInfo.parse("-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n")
            == PrivateKeyInfo(algorithm: .unknown, isEncrypted: false))
    }

    @Test("anything else is not a private key")
    func notAKey() {
        #expect(PrivateKeyInfo.parse("ssh-ed25519 AAAAC3Nza user@host\n") == nil)
        #expect(PrivateKeyInfo.parse("-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n-----END OPENSSH PRIVATE KEY-----\n") == nil)
    }

    @Test("a protected key takes its passphrase from the environment, or says how to give one")
    func passphrase() throws {
        let auth = SSHAuthentication(identityFiles: ["/k"], passphraseVariable: "TEST_PASSPHRASE", promptOnTerminal: false)
        let store = Passphrases()
        #expect(try store.passphrase(forKeyAt: "/k", authentication: auth, environment: ["TEST_PASSPHRASE": "s3cret"]) == "s3cret")
        #expect(try store.passphrase(forKeyAt: "/k", authentication: auth, environment: [:]) == "s3cret", "asked once per key")
        #expect {
            try Passphrases().passphrase(forKeyAt: "/other", authentication: auth, environment: [:])
        } throws: { error in
            "\(error)".contains("TEST_PASSPHRASE") && "\(error)".contains("ssh-add /other")
        }
    }

    @Test("a refused RSA key gets the libssh2 explanation and the fix")
    func rsaRefusal() {
        var attempts = AuthenticationAttempts()
        attempts.refused("key file /k/id_rsa", algorithm: .rsa)
        let error = attempts.failure(host: "job-1 (10.0.0.11:22)", user: "root")
        #expect(error.kind == .authenticationFailed)
        #expect(error.description.contains("libssh2 1.10"))
        #expect(error.description.contains("SHA-1"))
        #expect(error.description.contains("ed25519"))

        var plain = AuthenticationAttempts()
        plain.refused("key file /k/id_ed25519", algorithm: .ed25519)
        plain.note("no identity file /k/id_ecdsa")
        let other = plain.failure(host: "job-1 (10.0.0.11:22)", user: "root")
        #expect(other.description == "job-1 (10.0.0.11:22): authentication as root failed (refused key file /k/id_ed25519; no identity file /k/id_ecdsa); check that the public key is in ~root/.ssh/authorized_keys on the host and that the user is right")
    }
}
