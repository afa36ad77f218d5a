import Foundation
import TestSupport

/// The agent as it ships to hosts: the release build, one fully static executable (the Swift
/// runtime, FoundationEssentials and glibc inside; no interpreter, no shared library),
/// stripped. Built at most once per test run and shared by every test that needs it: the
/// release build takes minutes on a small machine.
enum StaticAgentBuild {
    /// Its own scratch path, the one the README and `bench/agent-footprint` use, so the tests
    /// reuse a build made by hand and never disturb the debug build they run from.
    static let scratch = "\(Sandbox.repoRoot)/.build-static-agent"

    /// The documented release build of the agent (README, "For real hosts").
    static let arguments = ["build", "-c", "release", "--product", "jobfleet-agent",
                            "--static-swift-stdlib", "-Xswiftc", "-static-executable", "-Xlinker", "-s",
                            "--scratch-path", scratch]

    /// The binary, or why there is none. `JOBFLEET_STATIC_AGENT` names one built beforehand
    /// (CI can build it once, before the tests).
    static let binary: Result<String, SandboxError> = {
        if let given = ProcessInfo.processInfo.environment["JOBFLEET_STATIC_AGENT"] {
            return FileManager.default.isExecutableFile(atPath: given)
                ? .success(given) : .failure(SandboxError(message: "JOBFLEET_STATIC_AGENT=\(given) is not an executable"))
        }
        do {
            let build = try Command.run("swift", arguments, currentDirectory: Sandbox.repoRoot)
            guard build.succeeded else {
                return .failure(SandboxError(message: "swift \(arguments.joined(separator: " ")) failed:\n\(build.stdout)\n\(build.stderr)"))
            }
            return .success("\(scratch)/release/jobfleet-agent")
        } catch {
            return .failure(SandboxError(message: "cannot run swift build: \(error)"))
        }
    }()
}
