import Shared

/// The account a service process becomes: uid, primary group and supplementary groups.
struct ServiceIdentity: Equatable {
    var name: String
    var uid: UInt32
    var gid: UInt32
    /// Every group the process holds, the primary one first.
    var groups: [UInt32]
    /// The primary group's name, when /etc/group has it.
    var groupName: String?
    /// The account's home directory, from /etc/passwd.
    var home: String = "/"

    /// `HOME`, `USER` and `LOGNAME` for a process of this account: the agent's own would
    /// point a service at root's home.
    var environment: [String: String] { ["HOME": home.isEmpty ? "/" : home, "USER": name, "LOGNAME": name] }
}

/// Why a service cannot run as the account its spec names. The message names the account
/// and what to do.
struct AccountProblem: Error, Equatable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The rules for running a service as an account, kept apart from the spawn so they can be
/// tested as values.
enum ServiceAccount {
    /// Resolves `name` for an agent running as `agentUID`.
    ///
    /// - A root agent may start a service as any account of the host, but as uid 0 only when
    ///   the spec says `root` by name: an account that is root under another name is refused,
    ///   so a manifest cannot grant root by accident.
    /// - An agent that is not root cannot change its uid or groups, so it starts services only
    ///   as itself, and refuses any other account instead of quietly running as itself.
    static func resolve(_ name: String, in accounts: AccountDatabase, agentUID: UInt32) -> Result<ServiceIdentity, AccountProblem> {
        guard let user = accounts.user(named: name) else {
            return .failure(AccountProblem(message: "no account '\(name)' in /etc/passwd: create it (for example "
                + "`useradd --system --user-group --no-create-home \(name)`), or name another with run_as; "
                + "jobfleet does not create accounts"))
        }
        if user.uid == 0 && name != "root" {
            return .failure(AccountProblem(message: "account '\(name)' has uid 0: services run as root only when the "
                + "manifest says run_as: root"))
        }
        if agentUID != 0 && user.uid != agentUID {
            let me = accounts.user(id: agentUID)?.name ?? "uid \(agentUID)"
            return .failure(AccountProblem(message: "the agent runs as \(me), not root, and cannot start services as "
                + "'\(name)': set run_as: \(me), or run the agent as root"))
        }
        return .success(ServiceIdentity(name: name, uid: user.uid, gid: user.gid, groups: accounts.groupIDs(of: user),
                                        groupName: accounts.group(id: user.gid)?.name, home: user.home))
    }

    /// What `hello` reports about `name`.
    static func facts(_ name: String, in accounts: AccountDatabase, agentUID: UInt32) -> AccountFacts {
        switch resolve(name, in: accounts, agentUID: agentUID) {
        case .success(let identity):
            return AccountFacts(name: name, uid: identity.uid, gid: identity.gid, group: identity.groupName)
        case .failure(let problem):
            let user = accounts.user(named: name)
            return AccountFacts(name: name, uid: user?.uid, gid: user?.gid,
                                group: user.flatMap { accounts.group(id: $0.gid)?.name }, problem: problem.message)
        }
    }
}
