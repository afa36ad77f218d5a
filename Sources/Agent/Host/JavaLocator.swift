#if canImport(Glibc)
import Glibc
#endif

/// Which java a service runs, searched the way bk-job's ops script searches `JAVA_HOME`
/// (`$BK_HOME/service/java`, then `$BK_HOME/common/java`), then the manifest's `java_home`,
/// then the agent's PATH. A JDK the BlueKing installer put under BK_HOME thus wins over
/// whatever the host has installed, as it does for upstream's own script.
enum JavaLocator {
    /// Where a java program was found.
    enum Source: String, Sendable, Equatable {
        case serviceJava = "$BK_HOME/service/java"
        case commonJava = "$BK_HOME/common/java"
        case javaHome = "java_home"
        case path = "PATH"
    }

    struct Found: Sendable, Equatable {
        /// What to run: an absolute path, or `java` for the PATH lookup the spawn makes.
        var program: String
        var source: Source
    }

    /// The places to look, in order; the last (PATH) is always there.
    static func candidates(bkHome: String, javaHome: String?) -> [Found] {
        var list = [Found(program: "\(bkHome)/service/java/bin/java", source: .serviceJava),
                    Found(program: "\(bkHome)/common/java/bin/java", source: .commonJava)]
        if let javaHome, !javaHome.isEmpty {
            let trimmed = javaHome.hasSuffix("/") ? String(javaHome.dropLast()) : javaHome
            list.append(Found(program: "\(trimmed)/bin/java", source: .javaHome))
        }
        list.append(Found(program: "java", source: .path))
        return list
    }

    /// The first candidate `isExecutable` accepts; PATH's `java` when none does.
    static func locate(bkHome: String, javaHome: String?, isExecutable: (String) -> Bool = executable) -> Found {
        let list = candidates(bkHome: bkHome, javaHome: javaHome)
        return list.dropLast().first { isExecutable($0.program) } ?? list[list.count - 1]
    }

    /// `command` with a bare `java` first word replaced by the java found; any other command,
    /// an explicit path included, is the operator's choice and runs as given.
    static func resolve(_ command: [String], bkHome: String, javaHome: String?,
                        isExecutable: (String) -> Bool = executable) -> [String] {
        guard command.first == "java" else { return command }
        var resolved = command
        resolved[0] = locate(bkHome: bkHome, javaHome: javaHome, isExecutable: isExecutable).program
        return resolved
    }

    /// A regular file the agent may execute (links followed: `service/java` is usually a link
    /// to an unpacked JDK).
    static func executable(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}
