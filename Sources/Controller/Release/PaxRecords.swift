/// The records of a pax extended header (`LENGTH KEY=VALUE\n` each, LENGTH counting the whole
/// record), keeping the keys that change where a member goes or how long it is.
enum PaxRecords {
    /// Keys applied; others (times, owners, charset) are ignored, like the ustar fields they replace.
    static let used: Set<String> = ["path", "linkpath", "size"]

    /// Parses `data`, the header found at byte `offset` of the stream.
    static func parse(_ data: [UInt8], at offset: UInt64) throws(ReleaseProblem) -> [String: String] {
        let damaged = ReleaseProblem("is damaged: the pax header at byte \(offset) has a malformed record")
        var result: [String: String] = [:]
        var index = 0
        while index < data.count {
            var cursor = index
            var length = 0
            while cursor < data.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(data[cursor]) {
                length = length * 10 + Int(data[cursor] - UInt8(ascii: "0"))
                guard length <= data.count else { throw damaged }
                cursor += 1
            }
            guard cursor > index, cursor < data.count, data[cursor] == UInt8(ascii: " "),
                  index + length <= data.count, index + length > cursor + 1,
                  data[index + length - 1] == UInt8(ascii: "\n") else { throw damaged }
            let body = data[(cursor + 1)..<(index + length - 1)]
            guard let equals = body.firstIndex(of: UInt8(ascii: "=")) else { throw damaged }
            let key = String(decoding: body[body.startIndex..<equals], as: UTF8.self)
            if used.contains(key) {
                let bytes = body[(equals + 1)...]
                guard let value = String(validating: bytes, as: UTF8.self), !bytes.contains(0) else {
                    throw ReleaseProblem("is damaged: the pax header at byte \(offset) has a \(key) that is not UTF-8 text")
                }
                result[key] = value
            }
            index += length
        }
        return result
    }
}
