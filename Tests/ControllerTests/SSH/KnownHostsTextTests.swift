import Foundation
import Shared
import Testing
@testable import Controller

@Suite("known_hosts text")
struct KnownHostsTextTests {
    @Test("port 22 is written bare, any other port as [address]:port", arguments: [
        ("10.0.0.11", 22, "10.0.0.11"),
        ("10.0.0.11", 2222, "[10.0.0.11]:2222"),
        ("job-1.example.com", 22, "job-1.example.com"),
        ("::1", 2200, "[::1]:2200"),
    ])
    func hostField(address: String, port: Int, expected: String) {
        #expect(KnownHostsText.hostField(address: address, port: port) == expected)
    }

    /// A sandbox host key and what `ssh-keygen -lf` printed for it.
    static let publicKey = "AAAAC3NzaC1lZDI1NTE5AAAAIGFOKKI+3RV7nXHePjIroJcGibXcpwsTj059vkhgbXaA"
    static let opensshFingerprint = "SHA256:H2cE/Lv6i2bj6DCEBW5k8Cm+aNiWMyOA6w7kLvgvI1o"

    @Test("fingerprints read like OpenSSH's: SHA256: and unpadded base64 of the key blob's digest")
    func fingerprint() throws {
        let blob = try #require(Data(base64Encoded: Self.publicKey))
        let digest = Self.bytes(hex: Checksum.sha256(Array(blob)))
        #expect(KnownHostsText.fingerprint(sha256: digest) == Self.opensshFingerprint)
        #expect(KnownHostsText.fingerprint(sha256: [UInt8](repeating: 0, count: 32)) == "SHA256:" + String(repeating: "A", count: 43))
    }

    @Test("the key type is the first string of a key blob")
    func keyType() throws {
        let blob = try #require(Data(base64Encoded: Self.publicKey))
        #expect(KnownHostsText.keyType(ofBlob: Array(blob)) == "ssh-ed25519")
        #expect(KnownHostsText.keyType(ofBlob: [0, 0, 0, 9, 1]) == nil)
    }

    @Test("comments, blanks and @cert-authority lines are dropped; @revoked keys are collected; hashed lines are kept")
    func parse() {
        let text = """
            # a comment

            10.0.0.11 ssh-ed25519 AAAAkey1
            |1|c2FsdA==|aGFzaA== ssh-ed25519 AAAAkey2
              [10.0.0.12]:2222 ecdsa-sha2-nistp256 AAAAkey3 comment here
            @cert-authority *.example.com ssh-ed25519 AAAAca
            @revoked * ssh-ed25519 AAAArevoked
            not a valid line at all
            10.0.0.13 ssh-ed25519 AAAAkey4
            """
        let contents = KnownHostsText.parse(text[...])
        #expect(contents.entries == [
            "10.0.0.11 ssh-ed25519 AAAAkey1",
            "|1|c2FsdA==|aGFzaA== ssh-ed25519 AAAAkey2",
            "[10.0.0.12]:2222 ecdsa-sha2-nistp256 AAAAkey3 comment here",
            "not a valid line at all",
            "10.0.0.13 ssh-ed25519 AAAAkey4",
        ], "a line libssh2 cannot read must not hide the lines after it")
        #expect(contents.revokedKeys == ["AAAArevoked"])
    }

    @Test("an appended line always lands on a line of its own")
    func appendix() {
        #expect(KnownHostsText.appendix(for: "h k", fileEndsWithNewline: true) == "h k\n")
        #expect(KnownHostsText.appendix(for: "h k\n", fileEndsWithNewline: true) == "h k\n")
        #expect(KnownHostsText.appendix(for: "h k", fileEndsWithNewline: false) == "\nh k\n")
    }

    @Test("appending to a file without a final newline keeps both lines whole")
    func appendToFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kh-\(UUID().uuidString)/known_hosts").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        try KnownHostsFile.append(line: "a ssh-ed25519 AAAA1\n", to: path) { _ in true }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("b ssh-ed25519 AAAA2".utf8))
        try handle.close()
        try KnownHostsFile.append(line: "c ssh-ed25519 AAAA3", to: path) { current in
            #expect(current == "a ssh-ed25519 AAAA1\nb ssh-ed25519 AAAA2", "judged on the file as it is under the lock")
            return true
        }
        #expect(try KnownHostsFile.read(path) == "a ssh-ed25519 AAAA1\nb ssh-ed25519 AAAA2\nc ssh-ed25519 AAAA3\n")
        try KnownHostsFile.append(line: "d ssh-ed25519 AAAA4", to: path) { _ in false }
        #expect(try KnownHostsFile.read(path).split(separator: "\n").count == 3, "a line no longer wanted is not written")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    static func bytes(hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}
