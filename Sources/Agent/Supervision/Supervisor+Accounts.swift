import Shared
#if canImport(Glibc)
import Glibc
#endif

extension Supervisor {
    /// The account `spec` runs as, read from /etc/passwd and /etc/group now (an account
    /// changed since the agent started is seen at the next start); nil for a spec that names
    /// none, which runs as the agent. Throws when the account cannot be used, saying why.
    func identity(for spec: ServiceSpec) throws -> ServiceIdentity? {
        guard let user = spec.user else { return nil }
        return try ServiceAccount.resolve(user, in: AccountDatabase.host(), agentUID: geteuid()).get()
    }

    /// Opens the service's console log for appending, first making its log directory and,
    /// when the agent is root and the service runs as another account, giving the directory
    /// to that account so the service can write its own logs there. The directory is changed
    /// through its handle, never by path; the console log is still the agent's file, opened
    /// with `O_NOFOLLOW` in a directory whose owner the agent treats as hostile.
    func openConsole(_ name: String, as identity: ServiceIdentity?) throws -> Int32 {
        let dir = try paths.openLogDir(name, create: true)
        if let identity, geteuid() == 0, try dir.status().st_uid != identity.uid {
            // Files first, while the directory is still the old owner's (root's, when a
            // service moves to its own account, so nobody adds to it meanwhile); the console
            // log stays the agent's: the service writes it through the descriptor it inherits.
            dir.setOwnerOfFiles(uid: identity.uid, gid: identity.gid, except: [ConsoleLog.name, "\(ConsoleLog.name).1"])
            try dir.setOwner(uid: identity.uid, gid: identity.gid)
        }
        return try dir.openFile(ConsoleLog.name, O_WRONLY | O_CREAT | O_APPEND, mode: 0o640)
    }
}
