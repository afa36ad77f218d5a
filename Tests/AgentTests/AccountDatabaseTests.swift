import Testing
@testable import Agent
import Shared

@Suite("Accounts read from /etc/passwd and /etc/group text")
struct AccountDatabaseTests {
    static let passwd = """
        root:x:0:0:root:/root:/bin/bash
        # a comment, then a blank line and lines the agent must skip

        +nisuser::::::
        broken:x:notanumber:0::/:/bin/sh
        short:x:5:5
        blueking:x:998:997:BlueKing services:/home/blueking:/usr/sbin/nologin
        toor:x:0:0:another root:/root:/bin/sh
        blueking:x:1500:1500:a second line for the name:/x:/bin/sh
        jobfleet-login:x:999:995::/var/lib/jobfleet-login:/bin/bash\r
        """
    static let group = """
        root:x:0:
        blueking:x:997:
        adm:x:4:syslog,blueking
        logs:x:1200: blueking , other
        jobfleet-login:x:995:
        dup:x:997:blueking
        """

    let accounts = AccountDatabase(passwd: Self.passwd, group: Self.group)

    @Test("an account's uid, primary group and home come from its first line; bad and NIS lines are skipped")
    func users() {
        #expect(accounts.users.map(\.name) == ["root", "blueking", "toor", "blueking", "jobfleet-login"])
        let blueking = accounts.user(named: "blueking")
        #expect(blueking == AccountDatabase.User(name: "blueking", uid: 998, gid: 997, home: "/home/blueking"))
        #expect(accounts.user(named: "broken") == nil)
        #expect(accounts.user(named: "short") == nil)
        #expect(accounts.user(named: "+nisuser") == nil)
        #expect(accounts.user(named: "jobfleet-login")?.home == "/var/lib/jobfleet-login", "a CRLF line ending is not part of the shell")
        #expect(accounts.user(id: 0)?.name == "root")
    }

    @Test("the groups a process gets: primary first, then every group listing the account, each once")
    func supplementaryGroups() throws {
        let blueking = try #require(accounts.user(named: "blueking"))
        #expect(accounts.groupIDs(of: blueking) == [997, 4, 1200], "the dup group shares the primary gid and is not repeated")
        #expect(accounts.group(id: 997)?.name == "blueking")
        let login = try #require(accounts.user(named: "jobfleet-login"))
        #expect(accounts.groupIDs(of: login) == [995])
    }

    @Test("empty or unreadable files know no accounts")
    func empty() {
        let none = AccountDatabase(passwd: "", group: "")
        #expect(none.user(named: "root") == nil)
        #expect(none.users.isEmpty && none.groups.isEmpty)
    }
}

@Suite("Which account a service may run as")
struct ServiceAccountTests {
    let accounts = AccountDatabase(passwd: AccountDatabaseTests.passwd, group: AccountDatabaseTests.group)

    @Test("a root agent runs a service as any existing account, with its groups and home")
    func rootAgent() throws {
        let identity = try ServiceAccount.resolve("blueking", in: accounts, agentUID: 0).get()
        #expect(identity == ServiceIdentity(name: "blueking", uid: 998, gid: 997, groups: [997, 4, 1200], groupName: "blueking",
                                            home: "/home/blueking"))
        #expect(identity.environment == ["HOME": "/home/blueking", "USER": "blueking", "LOGNAME": "blueking"])
        #expect(try ServiceAccount.resolve("root", in: accounts, agentUID: 0).get().uid == 0, "root by name is allowed")
    }

    /// Accounts that must be refused, and a word each refusal must contain.
    static let refusals: [(name: String, agentUID: UInt32, says: String)] = [
        ("nosuchuser", 0, "no account 'nosuchuser' in /etc/passwd"),
        ("toor", 0, "has uid 0"),
        ("blueking", 999, "the agent runs as jobfleet-login, not root"),
        ("root", 999, "cannot start services as 'root'"),
    ]

    @Test("refused: a missing account, uid 0 under another name, another account for an agent that is not root",
          arguments: refusals.indices)
    func refused(_ index: Int) {
        let (name, agentUID, says) = Self.refusals[index]
        let result = ServiceAccount.resolve(name, in: accounts, agentUID: agentUID)
        guard case .failure(let problem) = result else { Issue.record("\(name) was accepted"); return }
        #expect(problem.message.contains(says), "\(problem.message)")
        let facts = ServiceAccount.facts(name, in: accounts, agentUID: agentUID)
        #expect(facts.problem == problem.message)
    }

    @Test("an agent that is not root runs services as itself")
    func nonRootAgentAsItself() throws {
        let identity = try ServiceAccount.resolve("jobfleet-login", in: accounts, agentUID: 999).get()
        #expect(identity.uid == 999 && identity.gid == 995 && identity.groupName == "jobfleet-login")
        #expect(ServiceAccount.facts("jobfleet-login", in: accounts, agentUID: 999)
                == AccountFacts(name: "jobfleet-login", uid: 999, gid: 995, group: "jobfleet-login"))
    }
}
