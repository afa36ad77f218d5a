import ArgumentParser
import Testing
@testable import Controller

@Suite("exec and copy command lines")
struct ExecAndCopyCommandTests {
    @Test("exec takes the fleet, a host selection, forks, a timeout, --json and the command after --")
    func execParses() throws {
        let command = try ExecCommand.parse(["-f", "fleet.yaml", "--hosts", "job-1,job-2", "--forks", "3",
                                             "--timeout", "30s", "--json", "--", "ls", "-l", "/data"])
        #expect(command.fleet.file == "fleet.yaml")
        #expect(command.fleet.hosts == "job-1,job-2")
        #expect(command.fleet.forks == 3)
        #expect(command.timeout?.value == .seconds(30))
        #expect(command.json)
        #expect(command.command == ["ls", "-l", "/data"])
    }

    @Test("exec refuses a missing command, a bad timeout and zero forks, saying what to write", arguments: [
        (["-f", "f.yaml"], "after --"),
        (["-f", "f.yaml", "--timeout", "soon", "--", "true"], "timeout"),
        (["-f", "f.yaml", "--forks", "0", "--", "true"], "--forks must be at least 1"),
        (["-f", "f.yaml", "--raw", "--json", "--", "true"], "--raw and --json"),
    ])
    func execRefuses(arguments: [String], mention: String) {
        #expect {
            _ = try ExecCommand.parse(arguments)
        } throws: { error in
            ExecCommand.message(for: error).contains(mention)
        }
    }

    @Test("exec --raw asks for the output bytes as they are")
    func execRaw() throws {
        let command = try ExecCommand.parse(["-f", "fleet.yaml", "--raw", "--", "cat", "/bin/true"])
        #expect(command.raw && !command.json)
        #expect(!(try ExecCommand.parse(["-f", "fleet.yaml", "--", "true"])).raw)
    }

    @Test("copy takes LOCAL files, REMOTE and an octal mode")
    func copyParses() throws {
        let command = try CopyCommand.parse(["-f", "fleet.yaml", "--mode", "0640", "/etc/hostname", "job/x.jar"])
        #expect(command.mode?.value == 0o640)
        #expect(command.locals == ["/etc/hostname"])
        #expect(command.remote == "job/x.jar")
        let several = try CopyCommand.parse(["-f", "fleet.yaml", "/etc/hostname", "/etc/hosts", "job/conf/"])
        #expect(several.locals == ["/etc/hostname", "/etc/hosts"])
        #expect(several.remote == "job/conf/")
    }

    @Test("copy refuses a bad mode, an unsafe or missing path, and several files into a non-directory", arguments: [
        ["-f", "f", "--mode", "0999", "/etc/hostname", "x"],
        ["-f", "f", "/etc/hostname", "../etc/passwd"],
        ["-f", "f", "/etc/hostname", "a b"],
        ["-f", "f", "/nonexistent", "x"],
        ["-f", "f", "/etc/hostname", "/etc/hosts", "job/conf"],
        ["-f", "f", "/etc/hostname"],
    ])
    func copyRefuses(arguments: [String]) {
        #expect(throws: (any Error).self) { try CopyCommand.parse(arguments) }
    }

    @Test("a relative REMOTE is under the host's bk_home; a trailing / takes the local name", arguments: [
        ("job/backend/x.jar", "/data/bkee", "/data/bkee/job/backend/x.jar"),
        ("job/backend/", "/srv/bkee", "/srv/bkee/job/backend/a.jar"),
        ("/opt/a.jar", "/data/bkee", "/opt/a.jar"),
        ("/opt/", "/data/bkee", "/opt/a.jar"),
    ])
    func destination(remote: String, bkHome: String, expected: String) {
        #expect(CopyCommand.destination(remote, bkHome: bkHome, localName: "a.jar") == expected)
    }
}
