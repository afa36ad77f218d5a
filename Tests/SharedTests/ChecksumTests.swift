import Testing
@testable import Shared

@Suite("SHA-256 checksums")
struct ChecksumTests {
    @Test("known digests")
    func knownDigests() {
        #expect(Checksum.sha256(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Checksum.sha256(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("a missing file is an error that names it")
    func missingFile() {
        #expect {
            _ = try Checksum.sha256(fileAt: "/nonexistent/jobfleet-test")
        } throws: { error in
            "\(error)".contains("/nonexistent/jobfleet-test")
        }
    }
}
