import Foundation
import Testing
@testable import Controller

/// What reaches the terminal: text from hosts (log lines, failure excerpts, diffs, stderr) can
/// hold escape sequences, and none of them may act on the terminal.
@Suite("Console")
struct ConsoleTests {
    @Test("escape sequences cannot repaint the screen or set the clipboard: control characters arrive as visible text")
    func controlsNeutralised() {
        let forged = "ok\n\u{1B}[2J\u{1B}[HDeploy succeeded\u{1B}]52;c;cm0gLXJmIH4K\u{07}\u{9B}31m\u{7F}\tend"
        let bytes = Console.rendered(forged)
        #expect(!bytes.contains(0x1B) && !bytes.contains(0x07) && !bytes.contains(0x7F))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.unicodeScalars.contains { (0x80...0x9F).contains($0.value) })
        #expect(text == "ok\n\\x1b[2J\\x1b[HDeploy succeeded\\x1b]52;c;cm0gLXJmIH4K\\x07\\x9b31m\\x7f\tend")
    }

    @Test("JSON output escapes DEL and C1 controls as well, and still reads back as the same string")
    func jsonEscapesC1() throws {
        let line = "\u{9B}2J\u{7F} x \u{1B}[0m é"
        let data = try Console.jsonEncoder(snakeCase: true).encode(["line": line])
        let text = Console.jsonText(data)
        #expect(!text.unicodeScalars.contains { TerminalText.isControl($0) }, "\(text)")
        #expect(text == #"{"line":"\u009b2J\u007f x \u001b[0m é"}"#)
        let back = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(back?["line"] == line)
    }
}

@Suite("Terminal text")
struct TerminalTextTests {
    @Test("control characters are shown as \\xHH; tab, newline and other text pass", arguments: [
        ("plain text, tab\tand\nnewline", "plain text, tab\tand\nnewline"),
        ("\u{1B}[31mred\u{1B}[0m", "\\x1b[31mred\\x1b[0m"),
        ("\u{1B}]0;title\u{07}", "\\x1b]0;title\\x07"),
        ("line\r\n", "line\\x0d\n"),
        ("\u{00}\u{08}\u{7F}", "\\x00\\x08\\x7f"),
        ("\u{9B}1;1H\u{9D}52;c;x\u{9C}", "\\x9b1;1H\\x9d52;c;x\\x9c"),
        ("ünïcödé ✓ \u{A0}", "ünïcödé ✓ \u{A0}"),
    ])
    func neutralised(text: String, shown: String) {
        #expect(TerminalText.neutralised(text) == shown)
    }

    @Test("bytes that are not UTF-8 become U+FFFD; an escape byte among them is still neutralised")
    func invalidUTF8() {
        let shown = TerminalText.neutralised([0x6F, 0x6B, 0xC3, 0x1B, 0x5B, 0x32, 0x4A, 0xFF, 0x9B])
        #expect(shown == "ok\u{FFFD}\\x1b[2J\u{FFFD}\u{FFFD}")
    }
}
