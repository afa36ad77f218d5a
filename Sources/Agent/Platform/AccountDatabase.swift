/// The host's accounts and groups, read from the text of `/etc/passwd` and `/etc/group`.
///
/// The agent may be built as a fully static executable, where glibc's NSS functions
/// (`getpwnam`, `getgrouplist`) cannot load their modules and fail at run time. Services run
/// as local system accounts, which live in these two files, so the agent parses them itself.
/// Accounts known only to LDAP or sssd are not seen: a service account must be local.
struct AccountDatabase: Equatable {
    /// One line of `/etc/passwd`.
    struct User: Equatable {
        var name: String
        var uid: UInt32
        var gid: UInt32
        var home: String
    }

    /// One line of `/etc/group`.
    struct Group: Equatable {
        var name: String
        var gid: UInt32
        var members: [String]
    }

    /// Accounts in file order; the first line for a name wins, as for glibc's files module.
    var users: [User] = []
    var groups: [Group] = []

    /// Parses both files. Lines that are blank, comments, NIS markers (`+`, `-`) or lack a
    /// field or a numeric id are skipped: one bad line must not hide every account after it.
    init(passwd: String, group: String) {
        for line in Self.records(passwd) {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 7, !fields[0].isEmpty, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { continue }
            users.append(User(name: String(fields[0]), uid: uid, gid: gid, home: String(fields[5])))
        }
        for line in Self.records(group) {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 4, !fields[0].isEmpty, let gid = UInt32(fields[2]) else { continue }
            let members = fields[3].split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
            groups.append(Group(name: String(fields[0]), gid: gid, members: members))
        }
    }

    /// The account called `name`.
    func user(named name: String) -> User? { users.first { $0.name == name } }

    /// The account whose uid is `uid` (the first listed).
    func user(id uid: UInt32) -> User? { users.first { $0.uid == uid } }

    /// The group whose id is `gid` (the first listed).
    func group(id gid: UInt32) -> Group? { groups.first { $0.gid == gid } }

    /// The groups `user` gets when it starts, as `initgroups` would give them: its primary
    /// group first, then every group listing it as a member, each id once.
    func groupIDs(of user: User) -> [UInt32] {
        var ids = [user.gid]
        for group in groups where group.members.contains(user.name) && !ids.contains(group.gid) {
            ids.append(group.gid)
        }
        return ids
    }

    private static func records(_ text: String) -> [Substring] {
        text.split(separator: "\n").map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") && !$0.hasPrefix("+") && !$0.hasPrefix("-") }
    }
}

extension AccountDatabase {
    /// The host's own files; unreadable files read as empty (every lookup then fails, and says so).
    static func host() -> AccountDatabase {
        AccountDatabase(passwd: FileIO.readText("/etc/passwd") ?? "", group: FileIO.readText("/etc/group") ?? "")
    }
}

private extension String {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
