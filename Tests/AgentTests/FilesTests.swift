import Foundation
import Testing
@testable import Agent
@testable import Shared

@Suite("State file, release links and console logs")
struct FilesTests {
    @Test("the state survives a save and load, and an unreadable one is an error, not a fresh start")
    func stateRoundTrip() throws {
        let home = try TempHome()
        let store = StateStore(path: home.paths.state)
        #expect(try store.load() == PersistedState())
        var state = PersistedState()
        var record = ServiceRecord(spec: ServiceSpec(name: "job-config", command: ["java", "-jar", "x.jar"], env: ["A": "1"],
                                                     health: HealthCheckSpec(probe: .tcp(host: "127.0.0.1", port: 10500))))
        record.process = ProcessRecord(pid: 42, startTicks: 99, startedAt: Date(timeIntervalSince1970: 1000), release: "abc")
        record.restarts = 2
        state.services["job-config"] = ServiceMachine(record: record)
        state.bootId = "boot"
        try store.save(state)
        #expect(try store.load() == state)
        let mode = try FileManager.default.attributesOfItem(atPath: home.paths.state)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try "{".write(toFile: home.paths.state, atomically: true, encoding: .utf8)
        #expect(throws: StateError.self) { try store.load() }
    }

    func makeRelease(_ home: borrowing TempHome, _ id: String, age: TimeInterval) throws {
        let dir = "\(home.paths.releasesDir("job-x"))/\(id)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: "\(dir)/job-x.jar", contents: Data(id.utf8))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -age)], ofItemAtPath: dir)
    }

    @Test("activate flips the link, keeps the previous release and prunes the oldest")
    func activate() throws {
        let home = try TempHome()
        let activator = ReleaseActivator(paths: home.paths)
        var history: [String] = []
        // Each release is uploaded, then activated, as a deploy does.
        for (i, id) in ["r1", "r2", "r3", "r4"].enumerated() {
            try makeRelease(home, id, age: Double(400 - i * 100))
            if id != "r4" { _ = try activator.activate(service: "job-x", release: id, keep: 3, history: &history) }
        }
        let result = try activator.activate(service: "job-x", release: "r4", keep: 3, history: &history)
        #expect(result.previous == "r3")
        #expect(result.removed == ["r1"])
        #expect(FileManager.default.fileExists(atPath: "\(home.paths.releasesDir("job-x"))/r3"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: home.paths.jarLink("job-x")) == "releases/r4/job-x.jar")
        #expect(try String(contentsOfFile: home.paths.jarLink("job-x"), encoding: .utf8) == "r4")
        #expect(activator.activeRelease(of: "job-x") == "r4")
        // Rolling back is activating the previous one: it is still there.
        let back = try activator.activate(service: "job-x", release: "r3", keep: 3, history: &history)
        #expect(back.previous == "r4")
        #expect(back.removed.isEmpty)
        #expect(throws: AgentFailure.self) { try activator.activate(service: "job-x", release: "r1", keep: 3, history: &history) }
    }

    @Test("pruning a release removes links planted in it, never what they point at")
    func pruneDoesNotFollowLinks() throws {
        let home = try TempHome()
        let fm = FileManager.default
        let outside = "\(home.path)/outside"
        try fm.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "keep me".write(toFile: "\(outside)/keep", atomically: true, encoding: .utf8)
        try makeRelease(home, "r1", age: 300)
        let old = "\(home.paths.releasesDir("job-x"))/r1"
        try fm.createDirectory(atPath: "\(old)/sub", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: "\(old)/dir-link", withDestinationPath: outside)
        try fm.createSymbolicLink(atPath: "\(old)/file-link", withDestinationPath: "\(outside)/keep")
        try fm.createSymbolicLink(atPath: "\(old)/sub/deep-link", withDestinationPath: outside)
        // Planting touched r1; it must still be the oldest.
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -300)], ofItemAtPath: old)
        try makeRelease(home, "r2", age: 200)
        try makeRelease(home, "r3", age: 100)
        let activator = ReleaseActivator(paths: home.paths)
        var history: [String] = []
        _ = try activator.activate(service: "job-x", release: "r2", keep: 3, history: &history)
        let result = try activator.activate(service: "job-x", release: "r3", keep: 2, history: &history)
        #expect(result.removed == ["r1"])
        #expect(!fm.fileExists(atPath: old))
        #expect(try String(contentsOfFile: "\(outside)/keep", encoding: .utf8) == "keep me")
        #expect(try fm.contentsOfDirectory(atPath: outside) == ["keep"])
    }

    @Test("the console log is capped by copy-and-truncate, keeping the newest bytes")
    func consoleCap() throws {
        let home = try TempHome()
        let path = "\(home.path)/console.log"
        try String(repeating: "a", count: 1000).appending(String(repeating: "b", count: 100)).write(toFile: path, atomically: true, encoding: .utf8)
        let dir = try DirectoryHandle.open(home.path)
        #expect(try ConsoleLog.enforceCap(in: dir, cap: 100))
        #expect(FileIO.size(path) == 0)
        #expect(try String(contentsOfFile: "\(path).1", encoding: .utf8) == String(repeating: "b", count: 100))
        #expect(try !ConsoleLog.enforceCap(in: dir, cap: 100))
    }

    @Test("a spawned process gets its own session and its output goes to the console file")
    func spawnSession() throws {
        let home = try TempHome()
        let output = "\(home.path)/out.log"
        let fd = open(output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        defer { close(fd) }
        let pid = try Spawner.spawn(SpawnRequest(argv: ["/bin/sh", "-c", "echo out; echo err >&2; ps -o sid= -p $$"],
                                                 environment: ["PATH": "/usr/bin:/bin"], workingDirectory: home.path,
                                                 output: fd))
        var outcome: ExitOutcome?
        for _ in 0..<200 where outcome == nil {
            outcome = Spawner.reap(pid)
            usleep(10_000)
        }
        #expect(outcome == .exited(0))
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.prefix(2) == ["out", "err"])
        #expect(lines.last == String(pid), "the child leads its own session")
        #expect(throws: PosixError.self) { try Spawner.spawn(SpawnRequest(argv: ["/nonexistent/prog"], environment: [:])) }
    }
}
