import Foundation
import Testing
import TestSupport

/// Bad manifests are refused by the `jobfleet` binary itself, with line numbers, before any host
/// is contacted: a listening trap stands where the hosts would be and must see no connection.
@Suite("Malformed manifests through the CLI")
struct ManifestRejectionTests {
    static let cases: [(label: String, body: String, line: Int)] = [
        ("syntax error", "name: x\nhosts: [\n", 3),
        ("unknown top-level key", "name: x\nhostz: []\n", 2),
        ("missing host address", "name: x\nhosts:\n  - { name: a }\n", 3),
        ("port out of range", "name: x\nhosts:\n  - { name: a, address: ADDR, port: 99999 }\n", 3),
        ("duplicate host", "name: x\nhosts:\n  - { name: a, address: ADDR, port: PORT }\n  - { name: a, address: ADDR, port: PORT }\n", 4),
        ("shell in address", "name: x\nhosts:\n  - { name: a, address: 'ADDR;reboot', port: PORT }\n", 3),
        ("relative bk_home", "name: x\nbk_home: data\nhosts:\n  - { name: a, address: ADDR, port: PORT }\n", 2),
        ("dot-dot in bk_home", "name: x\nhosts:\n  - { name: a, address: ADDR, port: PORT, bk_home: /data/../etc }\n", 3),
        ("unknown host in placement", "name: x\nhosts:\n  - { name: a, address: ADDR, port: PORT }\nservices:\n  job-config: [b]\n", 5),
        ("bad service name", "name: x\nhosts:\n  - { name: a, address: ADDR, port: PORT }\nservices:\n  'job;rm': [a]\n", 5),
        ("bad host-key policy", "name: x\nssh:\n  host_keys: trust-me\nhosts:\n  - { name: a, address: ADDR, port: PORT }\n", 3),
        ("bad duration", "name: x\nssh:\n  connect_timeout: forever\nhosts:\n  - { name: a, address: ADDR, port: PORT }\n", 3),
    ]

    @Test("each is refused with its line, exit 64, and no connection", arguments: cases.indices)
    func refused(index: Int) throws {
        let (label, body, line) = Self.cases[index]
        let trap = try ConnectionTrap(address: "127.0.2.99")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-bad-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/fleet.yaml"
        try body.replacing("ADDR", with: trap.address).replacing("PORT", with: String(trap.port))
            .write(toFile: path, atomically: true, encoding: .utf8)
        for command in [["plan"], ["status"], ["deploy", "--yes"], ["exec", "--", "true"]] {
            let result = try JobFleetCLI(journal: "\(dir)/journal.sqlite").run(Array(command.prefix(1)) + ["-f", path] + command.dropFirst())
            #expect(result.status == 64, "\(label): \(command[0]) exited \(result.status): \(result.stderr)")
            #expect(result.stderr.contains("\(path):\(line)"), "\(label): \(command[0]) did not name line \(line): \(result.stderr)")
        }
        #expect(trap.connections == 0, "\(label): a host was contacted")
    }
}
