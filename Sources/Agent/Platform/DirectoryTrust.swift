#if canImport(Glibc)
import Glibc
#endif

/// Whom a directory the agent works in may belong to. The agent runs as root; a directory
/// another account can write is one where that account can plant links and files, so each
/// directory is checked before anything is made, written or removed in it.
enum DirectoryTrust {
    /// BK_HOME and what the agent or the controller's uploads make (`job/backend/<svc>`,
    /// `releases/…`): owned by root or the agent's user, not writable by group or others.
    case agent
    /// The agent's own `.jobfleet` and its `tmp`: owned by the agent's user, mode 0700.
    case agentPrivate
    /// A service's log directory (and `logs/`, `logs/job/` above it): any owner, since a
    /// service may run as its own user and own its logs; not writable by group or others.
    /// Its owner is treated as hostile: files in it are only opened with `O_NOFOLLOW`,
    /// replaced by rename and truncated through a descriptor.
    case service
}

extension DirectoryHandle {
    /// Refuses the directory unless it is what `trust` allows, with the path and the fix.
    /// A private directory of ours with read or search bits for others is narrowed to 0700
    /// through the handle (never through a link); one writable by others is refused, since
    /// anything may have been planted in it.
    func verify(_ trust: DirectoryTrust) throws {
        let info = try status()
        let me = geteuid()
        let mode = info.st_mode & 0o7777
        let ownerOK: Bool
        switch trust {
        case .agent: ownerOK = info.st_uid == 0 || info.st_uid == me
        case .agentPrivate: ownerOK = info.st_uid == me
        case .service: ownerOK = true
        }
        guard ownerOK else {
            let allowed = trust == .agentPrivate || me == 0 ? Self.userName(me) : "root or \(Self.userName(me))"
            throw UnsafePathError(message: "\(path) is owned by \(Self.userName(info.st_uid)), but the agent (running as "
                + "\(Self.userName(me))) only works in directories owned by \(allowed): check nobody else put it there, then "
                + "`chown \(Self.userName(me)) \(path)`")
        }
        guard mode & 0o022 == 0 else {
            throw UnsafePathError(message: "\(path) is writable by group or others (mode \(String(mode, radix: 8))), so another "
                + "account could plant links in it: check its contents, then `chmod go-w \(path)`")
        }
        if trust == .agentPrivate && mode != 0o700 {
            if fchmod(fd, 0o700) != 0 { throw PosixError("chmod 0700", path: path) }
        }
    }

    /// The account's name, or its number when it has none.
    static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return String(cString: name)
    }
}
