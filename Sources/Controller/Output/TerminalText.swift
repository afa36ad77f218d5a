/// Text made harmless for a terminal. What hosts send (log lines, failure excerpts, diffs of
/// their files, stderr) may hold escape sequences that clear the screen, move the cursor to
/// forge a "Deploy succeeded", set the window title or write the clipboard (OSC 52). Every
/// control character a terminal could act on is shown as `\xHH` instead; tab and newline pass,
/// as log lines, tables and diffs need them.
public enum TerminalText {
    /// `text` with every control character but tab and newline written as `\xHH` (its code
    /// point in lower-case hex): C0 (U+0000–U+001F, carriage return and escape included), DEL
    /// (U+007F) and C1 (U+0080–U+009F, which some terminals take as CSI or OSC on their own).
    public static func neutralised(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                result.append(contentsOf: visible(scalar).unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// Bytes from a host as terminal text: a sequence that is not UTF-8 becomes U+FFFD, as
    /// wherever host output is decoded, then control characters are neutralised.
    public static func neutralised(_ bytes: [UInt8]) -> String {
        neutralised(String(decoding: bytes, as: UTF8.self))
    }

    /// True for the characters `neutralised` rewrites.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return (value < 0x20 && value != 0x09 && value != 0x0A) || (0x7F...0x9F).contains(value)
    }

    private static func visible(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16)
        return "\\x" + (hex.count == 1 ? "0" + hex : hex)
    }
}
