import ArgumentParser
import Shared
import Testing
@testable import Controller

/// `logs` picks which of a service's files the agent reads.
@Suite struct LogsCommandTests {
    @Test("the main log by default, error.log with --error, the console file with --console")
    func sources() throws {
        #expect(try LogsCommand.parse(["-f", "fleet.yaml", "job-manage"]).source == .service)
        #expect(try LogsCommand.parse(["-f", "fleet.yaml", "job-manage", "--error"]).source == .error)
        #expect(try LogsCommand.parse(["-f", "fleet.yaml", "job-manage", "--console"]).source == .console)
    }

    @Test("--error and --console together are refused")
    func both() {
        #expect(throws: (any Error).self) { try LogsCommand.parse(["-f", "fleet.yaml", "job-manage", "--error", "--console"]) }
    }
}
