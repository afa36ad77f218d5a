import Testing
@testable import Shared

@Suite("Shell quoting")
struct ShellQuoteTests {
    @Test("plain words stay as they are", arguments: ["job-manage", "/data/bkee/job", "a=b", "x.jar"])
    func plain(word: String) {
        #expect(ShellQuote.word(word) == word)
    }

    @Test("anything a shell would interpret is single-quoted", arguments: [
        ("", "''"),
        ("a b", "'a b'"),
        ("$(rm -rf /)", "'$(rm -rf /)'"),
        ("it's", "'it'\\''s'"),
        ("a;b", "'a;b'"),
        ("`x`", "'`x`'"),
        ("*", "'*'"),
        ("line\nbreak", "'line\nbreak'"),
    ])
    func quoted(input: String, expected: String) {
        #expect(ShellQuote.word(input) == expected)
    }

    @Test("a command is its quoted words joined by spaces")
    func command() {
        #expect(ShellQuote.command(["ls", "-l", "my dir"]) == "ls -l 'my dir'")
    }
}
