import Foundation
import Shared
import Testing
@testable import Controller

@Suite("Plans with hosts not reached, and plans that stop everything")
struct PlanFaultTests {
    @Test("a host not reached has nothing planned; the text says so and what is not known")
    func unreachedHost() throws {
        let fixture = try PlanningFixture()
        let desired = try fixture.desired()
        let observed = PlanningFixture.converged(desired).filter { $0.host.name != "h2" }
        let plan = Planner.plan(desired: desired, observed: observed, unreached: ["h2": "h2 (10.9.0.2:22): connection refused"])
        let h2 = try #require(plan.hosts.first { $0.host.name == "h2" })
        #expect(h2.unreached == "h2 (10.9.0.2:22): connection refused")
        #expect(h2.changes.isEmpty && h2.uploads.isEmpty && h2.files.isEmpty && !h2.hasChanges)
        #expect(!plan.hasChanges)
        #expect(plan.unreached.map(\.host.name) == ["h2"])

        let text = PlanText.render(plan, fleet: "test", mask: desired.mask)
        let block = text.components(separatedBy: "h2 (10.9.0.2:22)\n")[1].components(separatedBy: "\n\n")[0]
        #expect(block == "  not reached: h2 (10.9.0.2:22): connection refused\n  nothing planned for this host: what it would need is unknown")
        #expect(text.hasSuffix("No changes on the hosts reached.\n1 host(s) not reached (h2): nothing is known or planned for them."))
        #expect(!text.contains("the fleet matches the manifest"))
    }

    @Test("an emptied placement that stops every running instance is flagged in the plan's first lines")
    func emptiedPlacement() throws {
        let fixture = try PlanningFixture()
        let running = PlanningFixture.converged(try fixture.desired())
        let empty = try fixture.desired("  {}")
        let plan = Planner.plan(desired: empty, observed: running)
        #expect(plan.runningBefore == 5)
        #expect(plan.stopsEverything)
        let lines = PlanText.render(plan, fleet: "test", mask: empty.mask).split(separator: "\n")
        #expect(lines[1] == "This plan stops every running instance of the fleet (5) and starts none: deploy needs --allow-stop-all as well as --yes.")
    }

    @Test("stopping some instances, or --only one service, is not stopping everything")
    func partialStops() throws {
        let fixture = try PlanningFixture()
        let running = PlanningFixture.converged(try fixture.desired())
        let fewer = try fixture.desired("  job-config: [h1]\n")
        #expect(!Planner.plan(desired: fewer, observed: running).stopsEverything)
        let withoutExecute = try fixture.desired("  job-config: [h1]\n  job-manage: [h1, h2]\n")
        let only = Planner.plan(desired: withoutExecute, observed: running, only: ["job-execute"])
        #expect(only.hosts.flatMap(\.stops) == ["job-execute", "job-execute"])
        #expect(!only.stopsEverything)
    }
}

@Suite("Exit statuses")
struct ExitStatusTests {
    static let precedence: [([Int32], Int32)] = [([], 0), ([0, 0], 0), ([3, 0], 3), ([1, 3], 1), ([3, 2, 1], 2), ([1, 4, 2], 4)]

    @Test("a held lease beats an unreachable host, which beats a failure, which beats pending changes", arguments: precedence)
    func combined(statuses: [Int32], expected: Int32) {
        #expect(ExitCodes.combined(statuses) == expected)
    }

    @Test("hosts that cannot be reached, refuse us or do not answer in time stand for 2; failures they report for 1")
    func perHost() {
        let host = "h1 (10.0.0.1:22)"
        for kind in [SSHError.Kind.connectionRefused, .unreachable, .timedOut, .connectionLost, .hostKeyUnknown,
                     .hostKeyChanged, .authenticationFailed] {
            #expect(ExitCodes.status(of: SSHError(host: host, kind: kind, message: "x")) == 2, "\(kind)")
        }
        for kind in [SSHError.Kind.remoteFile, .verificationFailed, .invalidRequest] {
            #expect(ExitCodes.status(of: SSHError(host: host, kind: kind, message: "x")) == 1, "\(kind)")
        }
        #expect(ExitCodes.status(of: HostFailure(host: host, message: "did not answer", unreachable: true)) == 2)
        #expect(ExitCodes.status(of: HostFailure(host: host, message: "refused")) == 1)
        #expect(ExitCodes.status(of: LeaseHeld(host: host, holder: nil)) == 4)
    }
}

@Suite("Disk space for uploads")
struct DiskSpaceTests {
    @Test("uploads that do not fit where they go are named with the free space and the need; those that fit pass")
    func shortfall() throws {
        let fixture = try PlanningFixture()
        let desired = try fixture.desired()
        var observed = PlanningFixture.converged(desired).filter { $0.host.name != "h1" }
        var h1 = ObservedHost(host: try #require(desired.manifest.host(named: "h1")))
        let jars = desired.instances(on: "h1").map(\.releaseJar)
        for jar in jars { h1.diskFree[jar] = DiskFree(availableBytes: 10, mount: "/data") }
        observed.append(h1)
        let plan = Planner.plan(desired: desired, observed: observed)
        let host = try #require(plan.hosts.first { $0.host.name == "h1" })
        let need = host.uploadBytes
        #expect(host.noSpace == "no space for the new release under /data/bkee/job/backend/job-config/releases (file system /data): "
                + "10 B free, the upload needs \(Format.bytes(need)); free some space there, then deploy again")
        #expect(plan.problems.count == 1 && plan.problems[0].hasPrefix("h1 (10.9.0.1:22): no space"))
        #expect(PlanText.render(plan, fleet: "test", mask: desired.mask).contains("  CANNOT  no space for the new release"))

        for jar in jars { h1.diskFree[jar] = DiskFree(availableBytes: need, mount: "/data") }
        observed[observed.count - 1] = h1
        #expect(Planner.plan(desired: desired, observed: observed).problems.isEmpty)
    }

    @Test("the inventory script reports the free space of the nearest existing folder of a path not yet created")
    func inventoryScript() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-df-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let jar = "\(dir)/job/backend/job-x/releases/abc/job-x.jar"
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", HostScripts.inventory, "inventory", "R:\(jar)", "D:\(jar)"]
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let inventory = HostScripts.parseInventory(text, artifacts: [])
        let free = try #require(inventory.free[jar], "\(text)")
        #expect(free.availableBytes > 0 && free.mount.hasPrefix("/"), "\(text)")
        #expect(inventory.releases.isEmpty)
    }
}
