/// The value side of one `KEY=value` line, read as bash reads the word after `=` when the file is
/// sourced: single quotes keep everything, double quotes and bare text expand `$NAME` and
/// `${NAME}`, a backslash escapes the next character, and unquoted `#` after a space starts a
/// comment. What a sourced file could only do by running something is refused.
struct EnvWord {
    /// The value, with `$NAME` replaced through `lookup`.
    var value: String
    /// Names expanded that `lookup` had no value for.
    var undefined: [String]

    /// Why a value cannot be read, in words an operator can act on.
    struct Problem: Error, Equatable {
        var message: String
    }

    /// Reads `text` (everything after `=`). `lookup` answers the value of a name, or nil when
    /// none is set; `perHost` names keys the controller sets per host, which are kept as
    /// `__NAME__` placeholders for rendering on each host.
    static func parse(_ text: String, perHost: Set<String>, lookup: (String) -> String?) throws(Problem) -> EnvWord {
        try withoutActuallyEscaping(lookup) { lookup throws(Problem) in
            var reader = Reader(chars: Array(text), perHost: perHost, lookup: lookup)
            try reader.read()
            return EnvWord(value: reader.out, undefined: reader.undefined)
        }
    }

    private struct Reader {
        let chars: [Character]
        let perHost: Set<String>
        let lookup: (String) -> String?
        var index = 0
        var out = ""
        var undefined: [String] = []

        mutating func read() throws(Problem) {
            while index < chars.count {
                let char = chars[index]
                switch char {
                case "'":
                    guard let end = chars[(index + 1)...].firstIndex(of: "'") else {
                        throw Problem(message: "the single quote is not closed on this line (values are one line)")
                    }
                    out += String(chars[(index + 1)..<end])
                    index = end + 1
                case "\"":
                    index += 1
                    try readDoubleQuoted()
                case "\\":
                    guard index + 1 < chars.count else {
                        throw Problem(message: "ends with a backslash: continued lines are not supported; put the value on one line")
                    }
                    out.append(chars[index + 1])
                    index += 2
                case "$":
                    try expand()
                case "`":
                    throw Problem(message: "runs a command (`…`); write the value itself")
                case " ", "\t":
                    let rest = String(chars[index...]).trimmingWhitespace()
                    guard rest.isEmpty || rest.hasPrefix("#") else {
                        // Nothing of the value is shown: it may be a secret.
                        throw Problem(message: "has a space outside quotes, so bash would run the rest as a command; quote the value ('…')")
                    }
                    index = chars.count
                case ";", "&", "|", "<", ">", "(", ")":
                    throw Problem(message: "has '\(char)' outside quotes, which bash reads as shell syntax; quote the value ('…')")
                default:
                    out.append(char)
                    index += 1
                }
            }
        }

        mutating func readDoubleQuoted() throws(Problem) {
            while index < chars.count {
                let char = chars[index]
                switch char {
                case "\"":
                    index += 1
                    return
                case "\\":
                    if index + 1 < chars.count, ["$", "`", "\"", "\\"].contains(chars[index + 1]) {
                        out.append(chars[index + 1])
                        index += 2
                    } else {
                        out.append(char)
                        index += 1
                    }
                case "$":
                    try expand()
                case "`":
                    throw Problem(message: "runs a command (`…`); write the value itself")
                default:
                    out.append(char)
                    index += 1
                }
            }
            throw Problem(message: "the double quote is not closed on this line (values are one line)")
        }

        /// At a `$`: `$NAME` or `${NAME}` expands; a `$` bash would keep (before a space, `/`,
        /// the end…) stays; anything that runs something or needs the shell is refused.
        mutating func expand() throws(Problem) {
            let next = index + 1 < chars.count ? chars[index + 1] : nil
            if next == "(" {
                throw Problem(message: "runs a command ($(…) or $((…))); write the value itself")
            }
            if let quote = next, quote == "'" || quote == "\"" {
                throw Problem(message: "uses bash's $\(quote)…\(quote) quoting, which is not supported; put the value in plain single quotes")
            }
            if next == "{" {
                guard let end = chars[(index + 2)...].firstIndex(of: "}") else {
                    throw Problem(message: "'${' is not closed on this line")
                }
                let name = String(chars[(index + 2)..<end])
                guard Self.isName(name) else {
                    throw Problem(message: "'${\(name)}' is not a plain variable; only $NAME and ${NAME} are expanded, write the value itself")
                }
                substitute(name)
                index = end + 1
                return
            }
            guard let next, next == "_" || next.isASCII && next.isLetter else {
                if let next, next.isNumber || "$?!#@*-".contains(next) {
                    throw Problem(message: "uses the shell parameter '$\(next)', which has no meaning in an env file; escape the $ (\\$) or single-quote the value")
                }
                out.append("$")
                index += 1
                return
            }
            var end = index + 1
            while end < chars.count, chars[end] == "_" || chars[end].isASCII && (chars[end].isLetter || chars[end].isNumber) { end += 1 }
            substitute(String(chars[(index + 1)..<end]))
            index = end
        }

        mutating func substitute(_ name: String) {
            if perHost.contains(name) {
                out += "__\(name)__"
            } else if let value = lookup(name) {
                out += value
            } else {
                undefined.append(name)
            }
        }

        static func isName(_ text: String) -> Bool {
            guard let first = text.first, first == "_" || first.isASCII && first.isLetter else { return false }
            return text.allSatisfy { $0 == "_" || $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
    }
}
