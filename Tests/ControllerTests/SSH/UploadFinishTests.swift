import Foundation
import Shared
import Testing
@testable import Controller

@Suite("Upload finish step")
struct UploadFinishTests {
    /// A scratch directory with a temporary file, as an upload leaves it before the finish step.
    struct Scratch {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("finish-\(UUID().uuidString)").path
        init() throws { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        func write(_ name: String, _ text: String) -> String {
            let path = "\(dir)/\(name)"
            _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
            return path
        }
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: "\(dir)/\(name)") }
        func read(_ name: String) -> String? { try? String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8) }
        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// Runs the finish command with this machine's sh, as sshd would on a host.
    static func run(_ command: RemoteCommand) throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command.line]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test("a verified file replaces the old one; a corrupted one is removed and the old one stays")
    func verifyAndRename() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let good = scratch.write(".a.jobfleet-1.part", "new bytes")
        let bad = scratch.write(".b it's.jobfleet-2.part", "corrupted")
        _ = scratch.write("a", "old a")
        _ = scratch.write("b it's", "old b")
        let items = [
            UploadFinish.Item(temporaryPath: good, finalPath: "\(scratch.dir)/a", sha256: Checksum.sha256(Array("new bytes".utf8))),
            UploadFinish.Item(temporaryPath: bad, finalPath: "\(scratch.dir)/b it's", sha256: Checksum.sha256(Array("expected".utf8))),
        ]
        let (status, stdout) = try Self.run(UploadFinish.command(for: items))
        #expect(status == 1)
        #expect(UploadFinish.parse(stdout, count: 2) == [
            .placed(sha256: Checksum.sha256(Array("new bytes".utf8))),
            .mismatch(actual: Checksum.sha256(Array("corrupted".utf8))),
        ])
        #expect(scratch.read("a") == "new bytes")
        #expect(!scratch.exists(".a.jobfleet-1.part"))
        #expect(scratch.read("b it's") == "old b", "an unverified upload never replaces the final file")
        #expect(!scratch.exists(".b it's.jobfleet-2.part"))
    }

    @Test("a directory at the final path is not moved into; the temporary file is removed")
    func directoryInTheWay() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try FileManager.default.createDirectory(atPath: "\(scratch.dir)/a", withIntermediateDirectories: false)
        let temporary = scratch.write(".a.part", "x")
        let item = UploadFinish.Item(temporaryPath: temporary, finalPath: "\(scratch.dir)/a", sha256: Checksum.sha256(Array("x".utf8)))
        let (status, stdout) = try Self.run(UploadFinish.command(for: [item]))
        #expect(status == 1)
        #expect(UploadFinish.parse(stdout, count: 1) == [.renameFailed])
        #expect(!scratch.exists("a/.a.part"))
        #expect(!scratch.exists(".a.part"))
    }

    @Test("a missing temporary file is reported as unreadable")
    func missing() throws {
        let item = UploadFinish.Item(temporaryPath: "/nonexistent/.x.part", finalPath: "/nonexistent/x", sha256: "00")
        let (_, stdout) = try Self.run(UploadFinish.command(for: [item]))
        #expect(UploadFinish.parse(stdout, count: 1) == [.unreadable])
    }

    @Test("output of another shape is not taken for a result")
    func malformed() {
        #expect(UploadFinish.parse("", count: 1) == nil)
        #expect(UploadFinish.parse("placed abc\n", count: 2) == nil)
        #expect(UploadFinish.parse("sh: sha256sum: not found\n", count: 1) == nil)
    }
}

@Suite("Remote paths and commands")
struct RemotePathTests {
    @Test("destinations split into directory and name; unsafe ones are refused", arguments: [
        ("/data/bkee/job/backend/job-manage/job-manage.jar", "/data/bkee/job/backend/job-manage", "job-manage.jar"),
        ("/x", "/", "x"),
    ])
    func split(path: String, directory: String, name: String) throws {
        let parts = try #require(RemotePath.split(path))
        #expect(parts.directory == directory)
        #expect(parts.name == name)
    }

    @Test("relative, dot-dot, directory and shell-special destinations are refused", arguments: [
        "relative/file", "/data/../etc/passwd", "/data/dir/", "/", "/data/a b", "/data/$(reboot)", "/data/./x",
    ])
    func refused(path: String) {
        #expect(RemotePath.split(path) == nil)
        #expect(RemotePath.problem(path) != nil)
    }

    @Test("temporary names are hidden, beside the target, unique per token, and within NAME_MAX")
    func temporary() {
        #expect(RemotePath.temporary(directory: "/d", name: "a.jar", token: "f00") == "/d/.a.jar.jobfleet-f00.part")
        #expect(RemotePath.temporary(directory: "/", name: "a", token: "1") == "/.a.jobfleet-1.part")
        let long = RemotePath.temporary(directory: "/d", name: String(repeating: "n", count: 250), token: "ffffffffffffffff")
        #expect(((long as NSString).lastPathComponent).utf8.count <= 255)
    }

    @Test("missing parents are created top down")
    func ancestors() {
        #expect(RemotePath.ancestors(of: "/a/b/c") == ["/a", "/a/b", "/a/b/c"])
        #expect(RemotePath.ancestors(of: "/") == [])
    }

    @Test("commands built from arguments quote every argument; shell text passes as is")
    func remoteCommand() {
        #expect(RemoteCommand("sha256sum", "--", "/data/it's here").line == "sha256sum -- '/data/it'\\''s here'")
        #expect(RemoteCommand(["ls", "-l", "/x;reboot"]).line == "ls -l '/x;reboot'")
        #expect(RemoteCommand(shell: "echo $HOME | wc -c").line == "echo $HOME | wc -c")
    }
}
