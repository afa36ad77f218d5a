import Foundation
import Testing
@testable import Controller

/// The inventory and cat scripts run here by `/bin/sh`, as sshd runs them on a host.
@Suite("Host scripts")
struct HostScriptsTests {
    /// Runs `script` with `arguments` and returns what it printed.
    static func run(_ script: String, _ name: String, _ arguments: [String]) throws -> [UInt8] {
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, name] + arguments
        process.standardOutput = output
        try process.run()
        let bytes = [UInt8](output.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        return bytes
    }

    @Test("a managed path that is a symbolic link is neither hashed nor read: its target's content is never old content")
    func symlinkRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-link-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = "\(dir)/application-manage.yml"
        let linked = "\(dir)/application-execute.yml"
        try "port: 1\n".write(toFile: plain, atomically: true, encoding: .utf8)
        try "root:$6$planted-hash:19000::::::\n".write(toFile: "\(dir)/shadow", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: linked, withDestinationPath: "\(dir)/shadow")

        let listing = String(decoding: try Self.run(HostScripts.inventory, "inventory", ["F:\(plain)", "F:\(linked)"]), as: UTF8.self)
        let inventory = HostScripts.parseInventory(listing, artifacts: [])
        #expect(inventory.files[plain] != nil, "\(listing)")
        #expect(inventory.files[linked] == nil, "\(listing)")
        #expect(inventory.symlinks == [linked], "\(listing)")

        let read = try Self.run(HostScripts.cat, "cat", [plain, linked])
        let files = HostScripts.parseCat(read)
        #expect(files[plain] == Array("port: 1\n".utf8))
        #expect(files[linked] == nil)
        #expect(!String(decoding: read, as: UTF8.self).contains("planted-hash"))
    }
}
