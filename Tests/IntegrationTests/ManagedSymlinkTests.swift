import Foundation
import Testing
import TestSupport

/// A managed file replaced on a host by a symbolic link (to `/etc/shadow`, say) is never read
/// through: `plan` names it and `deploy` changes nothing until the link is gone.
@Suite("Managed files that are symbolic links", .serialized, .enabled(if: Prerequisites.runIntegration),
       .sandbox("output-links", network: "127.0.10", hosts: 1))
struct ManagedSymlinkTests {
    let fleet: ControllerFleet

    init() throws {
        fleet = try ControllerFleet(attach: "output-links", network: "127.0.10")
    }

    @Test("a planted link at a managed path is a problem naming host and path; its target's content is never shown")
    func plantedLink() throws {
        let h1 = fleet.sandbox.hosts[0]
        let manifest = try fleet.manifest([("job-config", ["h1"])])
        let target = "\(fleet.sandbox.dir)/planted-shadow"
        try "root:$6$Pl4nted-shadow-hash:19000::::::\n".write(toFile: target, atomically: true, encoding: .utf8)
        let config = "\(h1.bkHome)/etc/job/application-config.yml"
        try FileManager.default.createDirectory(atPath: (config as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: config)
        try FileManager.default.createSymbolicLink(atPath: config, withDestinationPath: target)

        let plan = try fleet.cli.run(["plan", "-f", manifest])
        #expect(plan.status == 1, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("CANNOT  \(config) is a symbolic link"), "\(plan.stdout)")
        #expect(plan.stderr.contains("error: h1 (") && plan.stderr.contains("rm \(config)"), "\(plan.stderr)")
        #expect(!(plan.stdout + plan.stderr).contains("Pl4nted-shadow-hash"))

        let deploy = try fleet.cli.run(["deploy", "-f", manifest, "--yes"])
        #expect(deploy.status == 1, "\(deploy.stdout)\(deploy.stderr)")
        #expect(deploy.stderr.contains("nothing was uploaded or changed"), "\(deploy.stderr)")
        #expect(!(deploy.stdout + deploy.stderr).contains("Pl4nted-shadow-hash"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: config) == target, "the link is left for the operator")
        #expect(try String(contentsOfFile: target, encoding: .utf8).contains("Pl4nted-shadow-hash"))
    }
}
