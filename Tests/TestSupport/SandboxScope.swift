import Testing

/// Brings a sandbox up once before a suite's tests and down once after them all, so the tests
/// of a suite share one fleet (Swift Testing makes a new suite instance for every test).
public struct SandboxScope: SuiteTrait, TestScoping {
    public let name: String
    public let network: String
    public let hosts: Int
    /// More arguments for `sandbox up` (`--bk-job 3.12.3`).
    public var arguments: [String] = []

    public var isRecursive: Bool { false }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        try Prerequisites.require()
        var sandbox = Sandbox.forSuite(name, network: network)
        // A fresh fleet: what an earlier run left (agents' state, releases) must not leak in.
        _ = try? Command.run("/bin/bash", [Sandbox.script, "down", "--purge"], environment: sandbox.environment)
        try sandbox.up(hosts, arguments)
        do {
            try await function()
        } catch {
            _ = try? sandbox.down()
            throw error
        }
        _ = try? sandbox.down()
    }
}

extension Trait where Self == SandboxScope {
    /// Runs the suite on its own sandbox of `hosts` hosts on `network` (e.g. "127.0.2").
    public static func sandbox(_ name: String, network: String, hosts: Int, arguments: [String] = []) -> SandboxScope {
        SandboxScope(name: name, network: network, hosts: hosts, arguments: arguments)
    }
}

extension Sandbox {
    /// The sandbox a `SandboxScope` brought up, read back from its files.
    public static func attach(_ name: String, network: String) throws -> Sandbox {
        var sandbox = Sandbox.forSuite(name, network: network)
        try sandbox.readState()
        return sandbox
    }
}
