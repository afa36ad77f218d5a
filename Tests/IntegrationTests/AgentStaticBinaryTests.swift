import Foundation
import Testing
import TestSupport

/// The agent ships to hosts that may have neither a Swift runtime nor the build machine's
/// glibc: the release build is one static executable, stripped, that loads no shared library.
@Suite("The shipped agent binary", .enabled(if: Prerequisites.runIntegration))
struct AgentStaticBinaryTests {
    @Test("the release agent is a stripped static executable: no interpreter, no NEEDED library")
    func isStaticAndStripped() throws {
        try Prerequisites.require()
        let binary = try StaticAgentBuild.binary.get()
        let file = try Command.run("file", ["-b", binary]).stdout
        #expect(file.contains("statically linked"), "\(file)")
        #expect(file.contains(", stripped"), "\(file)")
        let dynamic = try Command.run("readelf", ["-d", "-l", binary]).stdout
        #expect(!dynamic.contains("(NEEDED)"), "\(dynamic)")
        #expect(!dynamic.contains("INTERP"), "\(dynamic)")
        let symbols = try Command.run("readelf", ["-S", binary]).stdout
        #expect(!symbols.contains(".symtab") && !symbols.contains(".debug_info"), "\(symbols)")
        let size = (try FileManager.default.attributesOfItem(atPath: binary)[.size] as? Int) ?? 0
        // Reported, not asserted: the figure is tracked in BENCHMARKS.md.
        FileHandle.standardError.write(Data("jobfleet-agent release binary: \(size) bytes\n".utf8))
        let version = try Command.run(binary, ["--version"])
        #expect(version.succeeded)
    }

    /// A static glibc that follows this machine's `passwd: files systemd` would dlopen
    /// libnss_systemd (and the host's libc with it) for a uid /etc/passwd lacks, and crash.
    /// The agent names a directory's owner in its refusal, so an unknown owner is that lookup.
    @Test("naming an owner /etc/passwd does not know loads no NSS module and does not crash",
          .enabled(if: getuid() == 0 || Prerequisites.isCI, "needs root to give a directory to an unknown uid"))
    func unknownOwnerIsNamedByNumber() throws {
        try Prerequisites.require()
        let binary = try StaticAgentBuild.binary.get()
        let base = ProcessInfo.processInfo.environment["JOBFLEET_TEST_DIR"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-tests").path
        let home = "\(base)/static-owner-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let stranger: uid_t = 54_321
        #expect(chown(home, stranger, stranger) == 0)

        let serve = try Command.run(binary, ["serve", "--home", home])
        #expect(serve.status == 1, "a refusal, not a crash (status \(serve.status)): \(serve.stderr)")
        #expect(serve.stderr.contains("is owned by uid \(stranger)"), "\(serve.stderr)")
    }
}
