import Foundation
import Testing
import TestSupport

/// The agent ships to hosts without a Swift runtime: the release build must carry the Swift
/// standard library and FoundationEssentials inside, and link nothing of Swift's dynamically.
@Suite("The shipped agent binary", .enabled(if: Prerequisites.runIntegration))
struct AgentStaticBinaryTests {
    @Test("the release agent built with --static-swift-stdlib links no libswift*, Foundation or ICU library")
    func linksNoSwiftLibrary() throws {
        try Prerequisites.require()
        // Its own scratch path: a release build never disturbs the debug build the tests run from.
        let scratch = "\(Sandbox.repoRoot)/.build-agent-release"
        let build = try Command.run("swift", ["build", "-c", "release", "--static-swift-stdlib", "--product", "jobfleet-agent",
                                              "--scratch-path", scratch], currentDirectory: Sandbox.repoRoot)
        #expect(build.succeeded, "\(build.stdout)\n\(build.stderr)")
        let binary = "\(scratch)/release/jobfleet-agent"
        let ldd = try Command.run("ldd", [binary])
        #expect(ldd.succeeded, "\(ldd.stderr)")
        let needed = try Command.run("readelf", ["-d", binary]).stdout
            .split(separator: "\n").filter { $0.contains("(NEEDED)") }.map(String.init)
        #expect(!needed.isEmpty)
        for library in needed + ldd.stdout.split(separator: "\n").map(String.init) {
            #expect(!library.contains("libswift"), "\(library)")
            #expect(!library.contains("libFoundation"), "\(library)")
            #expect(!library.contains("libicu"), "\(library)")
            #expect(!library.contains("libdispatch"), "\(library)")
        }
        let size = (try FileManager.default.attributesOfItem(atPath: binary)[.size] as? Int) ?? 0
        // Reported, not asserted: the figure is tracked in BENCHMARKS.md.
        FileHandle.standardError.write(Data("jobfleet-agent release binary: \(size) bytes\n".utf8))
        let version = try Command.run(binary, ["--version"])
        #expect(version.succeeded)
    }
}
