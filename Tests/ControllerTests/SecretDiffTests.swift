import Testing
@testable import Controller

@Suite("Diffs without secrets")
struct SecretDiffTests {
    let mask = SecretMask(env: ["BK_JOB_SECURITY_PASSWORD": "n3w-pass-word"])

    @Test("after a rotation neither the old nor the new password is shown; the line is shown as changed")
    func rotation() {
        let hunks = SecretDiff.hunks(old: "user: admin\npassword: 0ld-pass-word\nport: 1\n",
                                     new: "user: admin\npassword: n3w-pass-word\nport: 1\n",
                                     secretLines: [1], mask: mask)
        #expect(hunks == ["  user: admin", "- <secret changed>", "+ <secret changed>", "  port: 1"])
    }

    @Test("a short secret the mask cannot hide by value is still hidden by its template line")
    func shortSecret() {
        let hunks = SecretDiff.hunks(old: "a: 1\nsecret: ab\n", new: "a: 2\nsecret: cd\n", secretLines: [1], mask: .urlsOnly)
        #expect(hunks == ["- a: 1", "- <secret changed>", "+ a: 2", "+ <secret changed>", "  "])
    }

    @Test("a hand-installed file: credentials on lines the template no longer has are hidden too")
    func handInstalled() {
        let old = """
            spring:
              datasource:
                password: hand-set-pw
                url: jdbc:mysql://root:root-pw@db:3306/job
              security.user.secure-key=abcdef
            """
        let hunks = SecretDiff.hunks(old: old, new: "spring:\n  other: 1", secretLines: [], mask: mask)
        #expect(!hunks.joined().contains("hand-set-pw"))
        #expect(!hunks.joined().contains("root-pw"))
        #expect(!hunks.joined().contains("abcdef"))
        #expect(hunks.contains("-     url: jdbc:mysql://root:******@db:3306/job") || hunks.contains("- <secret changed>"))
        #expect(hunks.contains("+   other: 1"))
    }

    @Test("ordinary changes show as they are, and an unchanged secret line in context shows as <secret>")
    func ordinary() {
        let hunks = SecretDiff.hunks(old: "password: n3w-pass-word\nport: 1\n", new: "password: n3w-pass-word\nport: 2\n",
                                     secretLines: [0], mask: mask)
        #expect(hunks == ["  <secret>", "- port: 1", "+ port: 2", "  "])
    }

    @Test("a URL password in a value whose key says nothing is hidden on both sides")
    func urlPassword() {
        let hunks = SecretDiff.hunks(old: "uri: mongodb://job:old-pw@db/x\n", new: "uri: mongodb://job:new-pw@db/x\n",
                                     secretLines: [], mask: .urlsOnly)
        #expect(hunks == ["- <secret changed>", "+ <secret changed>", "  "])
    }
}
