import Shared

/// The last step of an upload, run on the host in one command for all files of a batch: hash
/// each temporary file there, and rename it onto its final path only if the hash is the
/// expected one. One exec per batch instead of one per file, because every exec pays the remote
/// shell's start-up. `mv -fT` replaces an existing file atomically (rename(2)), which SFTP v3's
/// rename cannot do, and never moves the file into a directory that happens to have the name.
enum UploadFinish {
    /// One verified rename to do.
    struct Item: Equatable {
        var temporaryPath: String
        var finalPath: String
        var sha256: String
        /// The group the file is given before the rename (`chgrp`), or nil to keep the login
        /// user's: rendered configuration belongs to the services' group, so they can read a
        /// file nobody else may.
        var group: String? = nil
    }

    /// What happened to one item.
    enum Outcome: Equatable {
        /// Verified and renamed; the host computed this hash.
        case placed(sha256: String)
        /// The host computed another hash; the temporary file was removed.
        case mismatch(actual: String)
        /// The temporary file could not be read back; it was removed.
        case unreadable
        /// Verified, but the rename failed (see the command's stderr); the temporary file was removed.
        case renameFailed
        /// Verified, but the login user could not give it to the group (see stderr); removed.
        case groupFailed
    }

    /// `openssl dgst` when the host has it: it uses the CPU's SHA instructions and hashes
    /// about three times faster than coreutils' `sha256sum`, which is the fallback.
    private static let function = """
        rc=0
        if command -v openssl >/dev/null 2>&1; then d() { openssl dgst -sha256 -r; }; else d() { sha256sum; }; fi
        f() {
          h=$(d < "$1") || { echo unreadable; rm -f -- "$1"; rc=1; return; }
          h=${h%% *}
          if [ "$h" != "$3" ]; then echo "mismatch $h"; rm -f -- "$1"; rc=1
          elif [ -n "$4" ] && ! chgrp -- "$4" "$1"; then echo "chgrp-failed $h"; rm -f -- "$1"; rc=1
          elif mv -fT -- "$1" "$2"; then echo "placed $h"
          else echo "rename-failed $h"; rm -f -- "$1"; rc=1
          fi
        }
        """

    /// The command: the fixed function above, then one quoted call per item.
    static func command(for items: [Item]) -> RemoteCommand {
        let calls = items.map { ShellQuote.command(["f", $0.temporaryPath, $0.finalPath, $0.sha256, $0.group ?? ""]) }
        return RemoteCommand(shell: ([function] + calls + ["exit $rc"]).joined(separator: "\n"))
    }

    /// Reads one outcome line per item; nil when the output does not have that shape (the shell
    /// failed before running the function, for example).
    static func parse(_ output: String, count: Int) -> [Outcome]? {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.count == count else { return nil }
        var outcomes: [Outcome] = []
        for line in lines {
            let fields = line.split(separator: " ")
            switch (fields.first, fields.count) {
            case ("placed", 2): outcomes.append(.placed(sha256: String(fields[1])))
            case ("mismatch", 2): outcomes.append(.mismatch(actual: String(fields[1])))
            case ("unreadable", 1): outcomes.append(.unreadable)
            case ("rename-failed", 2): outcomes.append(.renameFailed)
            case ("chgrp-failed", 2): outcomes.append(.groupFailed)
            default: return nil
            }
        }
        return outcomes
    }
}
