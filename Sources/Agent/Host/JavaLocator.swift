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

    /// The first candidate that is executable and, under BK_HOME, trusted; PATH's `java` when none is.
    static func locate(bkHome: String, javaHome: String?) -> Found {
        locate(bkHome: bkHome, javaHome: javaHome) { path in
            executable(path) && (!path.hasPrefix("\(bkHome)/") || trusted(path, under: bkHome))
        }
    }

    /// The first candidate `isExecutable` accepts; PATH's `java` when none does.
    static func locate(bkHome: String, javaHome: String?, isExecutable: (String) -> Bool) -> Found {
        let list = candidates(bkHome: bkHome, javaHome: javaHome)
        return list.dropLast().first { isExecutable($0.program) } ?? list[list.count - 1]
    }

    /// `command` with a bare `java` first word replaced by the java found; any other command,
    /// an explicit path included, is the operator's choice and runs as given.
    static func resolve(_ command: [String], bkHome: String, javaHome: String?) -> [String] {
        resolve(command, found: { locate(bkHome: bkHome, javaHome: javaHome) })
    }

    /// `resolve` with the search given, for tests.
    static func resolve(_ command: [String], bkHome: String, javaHome: String?, isExecutable: (String) -> Bool) -> [String] {
        resolve(command, found: { locate(bkHome: bkHome, javaHome: javaHome, isExecutable: isExecutable) })
    }

    private static func resolve(_ command: [String], found: () -> Found) -> [String] {
        guard command.first == "java" else { return command }
        var resolved = command
        resolved[0] = found().program
        return resolved
    }

    /// Whether the agent may run `path` found under BK_HOME: every component below BK_HOME
    /// (`service`, `java`, `bin`, `java`) is owned by root or the agent's user and not
    /// writable by group or others, up to the first symbolic link — a link in a trusted
    /// folder was put there by a trusted account, and where it points (an unpacked JDK under
    /// /opt) is the operator's, as the path up to BK_HOME is. Without this, an account that
    /// could write `$BK_HOME/service` would choose what the agent runs for `java -version`
    /// and for every service.
    static func trusted(_ path: String, under bkHome: String) -> Bool {
        guard path.hasPrefix("\(bkHome)/") else { return false }
        let me = geteuid()
        var current = bkHome
        for component in path.dropFirst(bkHome.count + 1).split(separator: "/") {
            current += "/\(component)"
            var info = stat()
            guard lstat(current, &info) == 0 else { return false }
            if (info.st_mode & S_IFMT) == S_IFLNK { return true }
            guard info.st_uid == 0 || info.st_uid == me, info.st_mode & 0o022 == 0 else { return false }
        }
        return true
    }

    /// A regular file the agent may execute (links followed: `service/java` is usually a link
    /// to an unpacked JDK).
    static func executable(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}
