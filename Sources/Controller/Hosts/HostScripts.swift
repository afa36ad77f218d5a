/// The few shell scripts the controller runs on hosts, always as `sh -c SCRIPT NAME ARGS…` so
/// every path travels as a quoted argument, never inside the script text.
enum HostScripts {
    /// Prints `R <path>` for every `R:<path>` that exists and `F <sha256> <path>` for every
    /// `F:<path>` that exists (the small rendered files; release jars are only looked for, as
    /// their directory is named by their digest and they were verified when uploaded). A managed
    /// file that is a symbolic link is reported as `L <path>` and never hashed: `[ -f ]` and
    /// `sha256sum` would follow it to whatever it points to.
    static let inventory = """
        for arg in "$@"; do
          case $arg in
            R:*) p=${arg#R:}; [ -f "$p" ] && echo "R $p" ;;
            F:*) p=${arg#F:}
                 if [ -L "$p" ]; then echo "L $p"
                 elif [ -f "$p" ]; then echo "F $(sha256sum < "$p" | cut -c1-64) $p"; fi ;;
            D:*) p=${arg#D:}; d=$(dirname -- "$p")
                 while [ ! -d "$d" ]; do d=$(dirname -- "$d"); done
                 df -Pk -- "$d" 2>/dev/null | tail -n 1 | {
                   read -r _ _ _ avail _ mount && printf 'D %s %s\t%s\n' "$avail" "$p" "$mount"
                 } ;;
          esac
        done
        exit 0
        """

    /// Prints each file as `<size> <path>\\n` followed by its bytes. A symbolic link is skipped:
    /// what it points to (`/etc/shadow`, say) is not the host's copy of a managed file.
    static let cat = """
        for p in "$@"; do
          [ -L "$p" ] && continue
          [ -f "$p" ] || continue
          printf '%s %s\\n' "$(wc -c < "$p" | tr -d ' ')" "$p"
          cat -- "$p"
        done
        """

    static func parseInventory(_ text: String, artifacts: [(ReleaseArtifact, String)]) -> Inventory {
        var inventory = Inventory()
        for line in text.split(separator: "\n") {
            if line.hasPrefix("R ") {
                let path = String(line.dropFirst(2))
                for (artifact, remote) in artifacts where remote == path {
                    inventory.releases.insert("\(artifact.service)/\(artifact.id)")
                }
            } else if line.hasPrefix("D ") {
                // D <available KiB> <path>\t<mount point>
                let rest = line.dropFirst(2)
                guard let space = rest.firstIndex(of: " "), let kib = UInt64(rest[..<space]),
                      let tab = rest.firstIndex(of: "\t") else { continue }
                let path = String(rest[rest.index(after: space)..<tab])
                inventory.free[path] = DiskFree(availableBytes: kib * 1024, mount: String(rest[rest.index(after: tab)...]))
            } else if line.hasPrefix("L ") {
                inventory.symlinks.insert(String(line.dropFirst(2)))
            } else if line.hasPrefix("F ") {
                let rest = line.dropFirst(2)
                guard let space = rest.firstIndex(of: " ") else { continue }
                inventory.files[String(rest[rest.index(after: space)...])] = String(rest[..<space])
            }
        }
        return inventory
    }

    static func parseCat(_ bytes: [UInt8]) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        var index = 0
        while index < bytes.count {
            guard let newline = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            let header = String(decoding: bytes[index..<newline], as: UTF8.self)
            guard let space = header.firstIndex(of: " "), let size = Int(header[..<space]) else { break }
            let start = newline + 1
            let end = min(bytes.count, start + size)
            files[String(header[header.index(after: space)...])] = Array(bytes[start..<end])
            index = end
        }
        return files
    }
}
