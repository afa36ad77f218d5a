import Foundation
import Testing
import TestSupport

/// A folder of a suite's own for its manifests and journal, and the sandbox's manifest cut down
/// to job-config on h1 and job-manage on h2: for suites that bring a two-host sandbox up per test.
struct SmallFleet {
    let scratch: String
    let cli: JobFleetCLI

    /// A new scratch folder named after `prefix`, with the journal in it.
    init(prefix: String) throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        cli = JobFleetCLI(journal: "\(scratch)/journal.sqlite")
    }

    /// Removes the scratch folder.
    func remove() { try? FileManager.default.removeItem(atPath: scratch) }

    /// The sandbox's manifest with job-config on h1 and job-manage on h2, written as `name`
    /// in the scratch folder, its `run_as: blueking` line replaced by `runAs` when given.
    func manifest(of sandbox: Sandbox, runAs: String? = nil, name: String = "small.yaml") throws -> String {
        var text = try String(contentsOfFile: sandbox.manifestPath, encoding: .utf8)
        text = try #require(text.components(separatedBy: "\nservices:").first)
        if let runAs { text = text.replacingOccurrences(of: "run_as: blueking", with: "run_as: \(runAs)") }
        let path = "\(scratch)/\(name)"
        try (text + "\nservices:\n  job-config: [h1]\n  job-manage: [h2]\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
