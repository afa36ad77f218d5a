#if canImport(Glibc)
import Glibc
#endif

/// The directories of ``AgentPaths`` as checked handles. Each call walks from BK_HOME again,
/// one `O_NOFOLLOW` step at a time, and checks every directory it passes against its
/// ``DirectoryTrust``: which may belong to whom is decided here, in one place.
extension AgentPaths {
    /// BK_HOME itself: owned by root or the agent's user, not writable by group or others.
    func openHome() throws -> DirectoryHandle {
        guard FileIO.isDirectory(home) else {
            throw UnsafePathError(message: "BK_HOME \(home) is not a directory: create it or pass the right --home")
        }
        let handle = try DirectoryHandle.open(home)
        try handle.verify(.agent)
        return handle
    }

    /// `.jobfleet`, made (mode 0700) when `create` and missing. What exists must be a
    /// directory, not a link, owned by the agent's user and writable by nobody else.
    func openAgentDir(create: Bool = true) throws -> DirectoryHandle {
        let dir = try openHome().directory(".jobfleet", create: create ? 0o700 : nil)
        try dir.verify(.agentPrivate)
        return dir
    }

    /// `.jobfleet/tmp`, made when missing, held to the same rules as `.jobfleet`.
    func openScratch() throws -> DirectoryHandle {
        let dir = try openAgentDir().directory("tmp", create: 0o700)
        try dir.verify(.agentPrivate)
        return dir
    }

    /// `job/backend/<service>`: the controller's uploads and the agent's jar link, so every
    /// step must be root's or the agent's. Not created: uploads make it.
    func openServiceDir(_ service: String) throws -> DirectoryHandle {
        var dir = try openHome()
        for part in ["job", "backend", service] {
            dir = try dir.directory(part)
            try dir.verify(.agent)
        }
        return dir
    }

    /// `job/backend/<service>/releases`, held to the same rules as the service directory.
    func openReleasesDir(_ service: String) throws -> DirectoryHandle {
        let dir = try openServiceDir(service).directory("releases")
        try dir.verify(.agent)
        return dir
    }

    /// `logs/job/<service>`, made (mode 0755) when `create` and missing. It, and `logs/` and
    /// `logs/job/` above it, may belong to a service's own user: what is done inside never
    /// trusts its contents.
    func openLogDir(_ service: String, create: Bool) throws -> DirectoryHandle {
        var dir = try openHome()
        for part in ["logs", "job", service] {
            dir = try dir.directory(part, create: create ? 0o755 : nil)
            try dir.verify(.service)
        }
        return dir
    }

    /// Opens a log for reading (`path` may be a spec's `logFile` anywhere). Under BK_HOME
    /// every component is opened without following links, so a link planted in a log
    /// directory never makes the agent read another file to a client; elsewhere the path is
    /// the operator's, and only its last component must not be a link. Reading checks no
    /// owners: it changes nothing.
    func openForReading(_ path: String) throws -> Int32 {
        let parts = path.split(separator: "/").map(String.init)
        guard let name = parts.last, !parts.contains("..") else {
            throw UnsafePathError(message: "\(path) names no file, or climbs with '..': give the log's own path")
        }
        let dir: DirectoryHandle
        if path.hasPrefix(home + "/") {
            let relative = parts.dropFirst(home.split(separator: "/").count).dropLast().joined(separator: "/")
            dir = try DirectoryHandle.open(home).descend(relative)
        } else {
            dir = try DirectoryHandle.open(FileIO.parent(of: path))
        }
        return try dir.openFile(name, O_RDONLY)
    }
}
