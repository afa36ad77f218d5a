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
            let accounts = AccountDatabase.host()
            let agent = Self.userName(me, in: accounts)
            let allowed = trust == .agentPrivate || me == 0 ? agent : "root or \(agent)"
            throw UnsafePathError(message: "\(path) is owned by \(Self.userName(info.st_uid, in: accounts)), but the agent (running as "
                + "\(agent)) only works in directories owned by \(allowed): check nobody else put it there, then "
                + "`chown \(agent) \(path)`")
        }
        guard mode & 0o022 == 0 else {
            throw UnsafePathError(message: "\(path) is writable by group or others (mode \(String(mode, radix: 8))), so another "
                + "account could plant links in it: check its contents, then `chmod go-w \(path)`")
        }
        if trust == .agentPrivate && mode != 0o700 {
            if fchmod(fd, 0o700) != 0 { throw PosixError("chmod 0700", path: path) }
        }
    }

    /// The account's name from /etc/passwd (read as services' accounts are, not through NSS),
    /// or its number when it has none.
    static func userName(_ uid: uid_t, in accounts: AccountDatabase) -> String {
        accounts.user(id: uid)?.name ?? "uid \(uid)"
    }
}
