import Foundation
import Shared
import Testing
import TestSupport

/// Jars travel as chunks through `jobfleet-agent receive`, on real sshd hosts: what a cut
/// connection leaves, how a corrupt chunk in a host's store is found and sent again, and what
/// collection keeps.
@Suite("Chunked transfer on the sandbox", .serialized, .enabled(if: Prerequisites.runIntegration),
       .sandbox("chunks", network: "127.0.15", hosts: 2))
struct ChunkTransferTests {
    let fleet: ControllerFleet

    init() throws {
        fleet = try ControllerFleet(attach: "chunks", network: "127.0.15")
    }

    var h1: SandboxHost { fleet.sandbox.hosts[0] }

    /// Runs `jobfleet-agent receive` on `host` through OpenSSH, writing `input` and then, when
    /// `cut` is set, killing the ssh client while its stdin is still open (the connection is
    /// cut mid-stream) once `cut` says so.
    func receive(on host: SandboxHost, _ input: [UInt8], cutWhen cut: (() -> Bool)? = nil) throws -> [ReceiveReply] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh")
        process.arguments = ["-i", fleet.sandbox.identity, "-o", "UserKnownHostsFile=\(fleet.sandbox.knownHosts)",
                             "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-p", String(host.port),
                             "\(fleet.sandbox.user)@\(host.address)",
                             ShellQuote.command(["\(host.bkHome)/.jobfleet/bin/jobfleet-agent", "receive", "--home", host.bkHome])]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        if let cut {
            let deadline = Date().addingTimeInterval(30)
            while !cut() && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            kill(process.processIdentifier, SIGKILL)
        } else {
            try stdin.fileHandleForWriting.close()
        }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONDecoder().decode(ReceiveReply.self, from: Data($0.utf8))
        }
    }

    /// A plan frame placing `files` (path under BK_HOME → bytes), and the recipes.
    func plan(_ files: [(path: String, bytes: [UInt8])], on host: SandboxHost) throws -> ([UInt8], [ChunkRecipe]) {
        let recipes = files.map { file in
            file.bytes.withUnsafeBytes { raw in
                ChunkRecipe(sha256: Checksum.sha256(file.bytes), size: UInt64(file.bytes.count),
                            chunks: Chunker.cut(raw, strategy: .contentDefined).map {
                                ChunkRef(sha256: Checksum.sha256(file.bytes[$0.offset..<$0.end]), size: $0.length)
                            })
            }
        }
        let plan = ReceivePlan(files: zip(files, recipes).map {
            ReceivePlan.File(path: "\(host.bkHome)/\($0.path)", mode: 0o644, recipe: $1)
        })
        let json = Array(try JSONEncoder().encode(plan))
        return (ChunkWire.header(type: ChunkWire.plan, length: json.count) + json, recipes)
    }

    /// The data frames a host lacking `missing` gets for `files`, then the end frame.
    func frames(_ files: [[UInt8]], _ recipes: [ChunkRecipe], missing: Set<String>, end: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        for item in ChunkSendPlan(files: recipes, missing: missing).items {
            var offset = 0
            for chunk in recipes[item.file].chunks.prefix(item.chunk) { offset += chunk.size }
            out += ChunkWire.header(type: ChunkWire.data, length: 32 + item.ref.size)
            out += ChunkWire.digestBytes(item.ref.sha256)!
            out += files[item.file][offset..<(offset + item.ref.size)]
        }
        if end { out += ChunkWire.header(type: ChunkWire.end, length: 0) }
        return out
    }

    func chunkPath(_ host: SandboxHost, _ digest: String) -> String {
        "\(host.bkHome)/.jobfleet/chunks/\(digest.prefix(2))/\(digest)"
    }

    func entries(_ dir: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    }

    /// Deploys job-config alone on h1 so the agent binary is installed there.
    func ensureAgent() throws -> String {
        let manifest = try fleet.manifest([("job-config", ["h1"])], name: "fleet-chunks.yaml")
        let deploy = try fleet.deploy(manifest)
        #expect(deploy.succeeded, "\(deploy.stdout)\(deploy.stderr)")
        return manifest
    }

    @Test("a connection cut in the middle of a file leaves nothing at its final path, and no temporary file or unverified chunk behind")
    func cutConnection() throws {
        _ = try ensureAgent()
        let bytes = noiseBytes(6 << 20, seed: 21)
        let relative = "job/chunk-test/cut/file.bin"
        let (head, recipes) = try plan([(relative, bytes)], on: h1)
        #expect(recipes[0].chunks.count >= 3)
        // Everything but the last chunk and the end: the agent has written part of the file.
        var body = frames([bytes], recipes, missing: Set(recipes[0].chunks.map(\.sha256)), end: false)
        let last = recipes[0].chunks.last!
        body.removeLast(5 + 32 + last.size / 2)
        let dir = "\(h1.bkHome)/job/chunk-test/cut"
        let replies = try receive(on: h1, head + body, cutWhen: {
            // Held: the agent waits for the rest of the last chunk with part of the file written.
            self.entries(dir).contains { $0.hasPrefix(".file.bin.jobfleet-part") }
        })
        #expect(replies.first?.missing?.count == recipes[0].chunks.count, "\(replies)")
        try Poll.until("the agent removes the temporary file after the cut", within: .seconds(20)) { !entries(dir).contains { $0.hasPrefix(".") } }
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/file.bin"), "nothing at the final path")
        for chunk in recipes[0].chunks {
            #expect(!FileManager.default.fileExists(atPath: chunkPath(h1, chunk.sha256)), "no unverified chunk kept: \(chunk.sha256)")
        }
        // The same transfer whole places the file.
        let whole = try receive(on: h1, head + frames([bytes], recipes, missing: Set(recipes[0].chunks.map(\.sha256))))
        #expect(whole.contains { $0.placed == "\(dir)/file.bin" }, "\(whole)")
        #expect(Checksum.sha256(Array(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/file.bin")))) == recipes[0].sha256)
    }

    @Test("a corrupt chunk in a host's store is found when a file is built from it, removed, and sent again by the next deploy")
    func corruptChunkIsResent() throws {
        let manifest = try ensureAgent()
        let jar = "\(fleet.sandbox.releaseDir)/backend/job-config/job-config.jar"
        let sha = Checksum.sha256(Array(try Data(contentsOf: URL(fileURLWithPath: jar))))
        let releaseDir = "\(h1.bkHome)/job/backend/job-config/releases/\(sha.prefix(16))"
        let recipeFile = "\(h1.bkHome)/.jobfleet/chunks/recipes/\(sha)"
        let stored = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: recipeFile))) as? [String: Any]
        let chunks = ((stored?["recipe"] as? [String: Any])?["chunks"] as? [[String: Any]])?.compactMap { $0["sha256"] as? String } ?? []
        let victim = try #require(chunks.last, "the jar's recipe is kept: \(recipeFile)")
        // Flip bytes of a chunk the jar is made of, then take the jar's release away so it
        // must be built again from the store.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: chunkPath(h1, victim)))
        try handle.seek(toOffset: 0)
        handle.write(Data("corrupted by the test".utf8))
        try handle.close()
        try FileManager.default.removeItem(atPath: releaseDir)

        let deploy = try fleet.deploy(manifest)
        #expect(deploy.succeeded, "\(deploy.stdout)\(deploy.stderr)")
        let placed = Checksum.sha256(Array(try Data(contentsOf: URL(fileURLWithPath: "\(releaseDir)/job-config.jar"))))
        #expect(placed == sha)
        let repaired = Array(try Data(contentsOf: URL(fileURLWithPath: chunkPath(h1, victim))))
        #expect(Checksum.sha256(repaired) == victim, "the chunk was sent again and is whole")
        let output = deploy.stdout + deploy.stderr
        #expect(output.contains("placed (") && output.contains("sent)"), "\(output)")
        // history --json keeps its fields and adds the bytes placed and sent.
        let history = try fleet.cli.run(["history", "-f", manifest, "--json", "--limit", "1"])
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any], "\(history.stdout)")
        for key in ["id", "command", "result", "summary", "startedAt"] { #expect(entry[key] != nil, "\(key): \(entry)") }
        let placedBytes = try #require(entry["bytesPlaced"] as? Int, "\(entry)")
        let sentBytes = try #require(entry["bytesSent"] as? Int, "\(entry)")
        #expect(placedBytes == (try FileManager.default.attributesOfItem(atPath: jar)[.size] as? Int))
        let victimSize = ((stored?["recipe"] as? [String: Any])?["chunks"] as? [[String: Any]])?
            .first { $0["sha256"] as? String == victim }?["size"] as? Int ?? 0
        #expect(sentBytes >= victimSize && sentBytes < victimSize + (64 << 10),
                "only the corrupt chunk and the plan (twice) travel: \(sentBytes) bytes sent, chunk \(victimSize): \(entry)")
    }

    @Test("collection removes chunks no retained file uses, and never one a retained release needs")
    func collectionKeepsRetained() throws {
        _ = try ensureAgent()
        let base = "job/chunk-test/gc"
        let a = noiseBytes(3 << 20, seed: 31)
        let b = noiseBytes(3 << 20, seed: 32)
        let (planA, recipesA) = try plan([("\(base)/a/file.bin", a)], on: h1)
        _ = try receive(on: h1, planA + frames([a], recipesA, missing: Set(recipesA[0].chunks.map(\.sha256))))
        let (planB, recipesB) = try plan([("\(base)/b/file.bin", b)], on: h1)
        _ = try receive(on: h1, planB + frames([b], recipesB, missing: Set(recipesB[0].chunks.map(\.sha256))))
        for chunk in recipesA[0].chunks + recipesB[0].chunks {
            #expect(FileManager.default.fileExists(atPath: chunkPath(h1, chunk.sha256)))
        }
        // a's file goes (as a pruned release does); the next session collects its chunks only.
        try FileManager.default.removeItem(atPath: "\(h1.bkHome)/\(base)/a")
        let (planNone, _) = try plan([], on: h1)
        let replies = try receive(on: h1, planNone + ChunkWire.header(type: ChunkWire.end, length: 0))
        #expect(replies.last?.done == true && (replies.last?.collected ?? 0) >= recipesA[0].chunks.count, "\(replies)")
        for chunk in recipesA[0].chunks {
            #expect(!FileManager.default.fileExists(atPath: chunkPath(h1, chunk.sha256)), "a's chunk collected")
        }
        for chunk in recipesB[0].chunks {
            #expect(FileManager.default.fileExists(atPath: chunkPath(h1, chunk.sha256)), "b's chunk kept")
        }
        // The deployed jar's chunks are kept too: it is a retained release.
        let jar = "\(fleet.sandbox.releaseDir)/backend/job-config/job-config.jar"
        let sha = Checksum.sha256(Array(try Data(contentsOf: URL(fileURLWithPath: jar))))
        #expect(FileManager.default.fileExists(atPath: "\(h1.bkHome)/.jobfleet/chunks/recipes/\(sha)"))
        let again = try fleet.deploy(try fleet.manifest([("job-config", ["h1"])], name: "fleet-chunks.yaml"))
        #expect(again.succeeded)
    }

    @Test("Spring-Boot-shaped fat jars start with java -jar and get healthy, and their next release sends a small part of what it places")
    func fatJarsAndUpgrade() throws {
        _ = try ensureAgent()
        let current = "\(fleet.sandbox.dir)/fat-release", next = "\(fleet.sandbox.dir)/fat-release-next"
        for (out, extra) in [(current, [String]()), (next, ["--next"])] {
            let build = try Command.run("/bin/bash", ["\(Sandbox.repoRoot)/deploy/standin/build", "--out", out, "--fat-mb", "8",
                                                      "--quiet"] + extra)
            #expect(build.succeeded, "\(build.stdout)\(build.stderr)")
        }
        let placement = [("job-config", ["h1"]), ("job-manage", ["h1"])]
        let manifest = try fleet.manifest(placement, release: current, name: "fleet-fat.yaml")
        let first = try fleet.deploy(manifest)
        #expect(first.succeeded, "\(first.stdout)\(first.stderr)")
        let upgrade = try fleet.deploy(try fleet.manifest(placement, release: next, name: "fleet-fat.yaml"))
        #expect(upgrade.succeeded, "\(upgrade.stdout)\(upgrade.stderr)")
        let rows = try fleet.status(manifest)
        for instance in ["job-config@h1", "job-manage@h1"] {
            #expect(rows[instance]?["health"] as? String == "healthy", "\(instance): \(rows[instance] ?? [:])")
        }
        let history = try fleet.cli.run(["history", "-f", manifest, "--json", "--limit", "1"])
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any], "\(history.stdout)")
        let placed = try #require(entry["bytesPlaced"] as? Int, "\(entry)")
        let sent = try #require(entry["bytesSent"] as? Int, "\(entry)")
        #expect(placed > 16 << 20, "two jars of about 8 MiB: \(entry)")
        #expect(sent < placed / 4, "the upgrade sends the changed libraries and classes only: \(sent) of \(placed)")
    }

    @Test("a plan naming a path outside BK_HOME, through '..' or into the agent's own directory is refused before anything is written")
    func unsafePaths() throws {
        _ = try ensureAgent()
        for path in ["/tmp/jobfleet-chunks-outside.bin", "\(h1.bkHome)/job/../../x.bin", "\(h1.bkHome)/.jobfleet/bin/jobfleet-agent"] {
            let bytes = Array("x".utf8)
            let recipe = ChunkRecipe(sha256: Checksum.sha256(bytes), size: 1, chunks: [ChunkRef(sha256: Checksum.sha256(bytes), size: 1)])
            let json = Array(try JSONEncoder().encode(ReceivePlan(files: [ReceivePlan.File(path: path, mode: 0o644, recipe: recipe)])))
            let replies = try receive(on: h1, ChunkWire.header(type: ChunkWire.plan, length: json.count) + json)
            #expect(replies.count == 1 && replies[0].error != nil, "\(path): \(replies)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/jobfleet-chunks-outside.bin"))
    }
}

/// Pseudo-random bytes from a seed (xorshift).
func noiseBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    for index in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        out[index] = UInt8(truncatingIfNeeded: state)
    }
    return out
}
