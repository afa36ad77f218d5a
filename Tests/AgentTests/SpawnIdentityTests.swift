import Foundation
import Testing
@testable import Agent
#if canImport(Glibc)
import Glibc
#endif

/// The fork-and-exec path that starts a child as another account with its own open-files
/// limit. As root the child becomes `nobody`; otherwise it stays the test's own account.
@Suite("Starting a child as another account, with an open-files limit")
struct SpawnIdentityTests {
    /// Runs `script` with `sh` through the identity-changing spawn and returns its output.
    func run(_ script: String, identity: ServiceIdentity?, openFiles: Int?, directory: String = "/") throws -> (ExitOutcome?, String) {
        let home = try TempHome()
        let output = open("\(home.path)/out", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        defer { close(output) }
        var request = SpawnRequest(argv: ["sh", "-c", script], environment: ["PATH": "/usr/bin:/bin"],
                                   workingDirectory: directory, output: output)
        request.identity = identity
        request.openFiles = openFiles
        let pid = try Spawner.spawnChangingIdentity(request)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        let text = (try? String(contentsOfFile: "\(home.path)/out", encoding: .utf8)) ?? ""
        return (ExitOutcome(waitStatus: status), text)
    }

    /// `nobody` as root, else the test's own account (which a non-root agent keeps).
    func someoneElse() -> ServiceIdentity {
        let accounts = AccountDatabase.host()
        if geteuid() == 0, let nobody = accounts.user(named: "nobody") {
            return ServiceIdentity(name: "nobody", uid: nobody.uid, gid: nobody.gid, groups: accounts.groupIDs(of: nobody))
        }
        return ServiceIdentity(name: "me", uid: geteuid(), gid: getegid(), groups: [getegid()])
    }

    @Test("the child runs as the account, in its own session, with the limit, stdin from /dev/null and no other descriptors")
    func becomesTheAccount() throws {
        let identity = someoneElse()
        var hard = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &hard)
        let limit = Int(min(hard.rlim_max, 4096))
        let script = "id -u; id -g; id -G; ulimit -Sn; ulimit -Hn; ps -o sid= -p $$; echo $$; ls /proc/self/fd | wc -l; "
            + "cat; echo done"
        let (outcome, text) = try run(script, identity: identity, openFiles: limit)
        #expect(outcome == .exited(0), "\(text)")
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.count == 9, "\(text)")
        guard lines.count == 9 else { return }
        #expect(lines[0] == String(identity.uid) && lines[1] == String(identity.gid))
        #expect(Set(lines[2].split(separator: " ").map(String.init)) == Set(identity.groups.map(String.init)), "groups: \(lines[2])")
        #expect(lines[3] == String(limit) && lines[4] == String(limit))
        #expect(lines[5] == lines[6], "the child leads its own session")
        // ls itself holds 0, 1, 2 and the directory it lists.
        #expect(lines[7] == "4", "only stdin, stdout and stderr were inherited")
        #expect(lines[8] == "done", "stdin is empty")
    }

    @Test("a failure before exec is an error naming the step: a missing directory, a missing program, a limit too high")
    func failuresBeforeExec() throws {
        #expect(throws: PosixError.self) { _ = try run("true", identity: someoneElse(), openFiles: nil, directory: "/nonexistent-dir") }
        do {
            _ = try run("true", identity: someoneElse(), openFiles: nil, directory: "/nonexistent-dir")
        } catch {
            #expect(String(describing: error).contains("working directory /nonexistent-dir"), "\(error)")
        }
        var request = SpawnRequest(argv: ["no-such-program-jobfleet"], environment: [:])
        request.openFiles = 4096
        #expect(throws: PosixError.self) { _ = try Spawner.spawnChangingIdentity(request) }
        var hard = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &hard)
        // Past the hard limit: only a process with CAP_SYS_RESOURCE may go there; otherwise the
        // start fails and says which limit.
        if hard.rlim_max < 1_048_576 {
            do {
                _ = try run("true", identity: nil, openFiles: Int(hard.rlim_max) + 1)
            } catch {
                #expect(String(describing: error).contains("open-files limit"), "\(error)")
            }
        }
    }
}
