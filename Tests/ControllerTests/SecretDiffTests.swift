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

    @Test("with its template, each host line is placed among the template's lines, wherever the diff puts it")
    func byTemplate() {
        let template = ["redis:", "  host: __REDIS_HOST__", "  pass: __BK_JOB_REDIS_PASSWORD__", "  db: 0", ""]
        let hunks = SecretDiff.hunks(old: "redis:\n  pass: 0ld-pw\n  host: h\n  db: 0\n# pass: older-pw\n",
                                     new: "redis:\n  host: h\n  pass: n3w-pw\n  db: 0\n",
                                     secretLines: [2], template: template, mask: .urlsOnly)
        #expect(hunks == ["  redis:", "- <secret changed>", "    host: h", "+ <secret changed>", "    db: 0",
                          "- \(SecretDiff.hostOnly)", "  "])
    }
}

@Suite("Template lines")
struct TemplateLineTests {
    @Test("a template line fits the lines it renders to, however the host indents them", arguments: [
        ("  pass: __PW__", "pass: x", true),
        ("  pass: __PW__", "      pass: a b c", true),
        ("  pass: __PW__", "  passwd: x", false),
        ("url: jdbc:mysql://__HOST__:__PORT__/job?password=__PW__", "url: jdbc:mysql://db:3306/job?password=p", true),
        ("url: jdbc:mysql://__HOST__:__PORT__/job?password=__PW__", "url: jdbc:mysql://db/job?password=p", false),
        ("db: 0", "  db: 0", true),
        ("db: 0", "db: 1", false),
        ("__A____B__", "anything at all", true),
    ])
    func fits(template: String, line: String, expected: Bool) {
        #expect(TemplateLine(template).fits(line) == expected)
    }

    @Test("a line that is only placeholders fixes no text, so it vouches for no host line")
    func placeholderOnly() {
        #expect(!TemplateLine("  __EXTRA__").hasFixedText)
        #expect(TemplateLine("port: __PORT__").hasFixedText)
    }
}
