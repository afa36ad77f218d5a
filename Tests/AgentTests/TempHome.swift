import Foundation
@testable import Agent

/// A throwaway BK_HOME for a test.
struct TempHome: ~Copyable {
    let path: String
    var paths: AgentPaths { AgentPaths(home: path) }

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("agent-unit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: "\(path)/.jobfleet/tmp", withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
