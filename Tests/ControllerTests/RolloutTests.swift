import Foundation
import Shared
import Testing
@testable import Controller

@Suite("Rollout")
struct RolloutTests {
    final class Fleet: @unchecked Sendable {
        let fixture: PlanningFixture
        let recorder = FakeRecorder()
        let clock = ManualClock()
        var hosts: [String: FakeFleetHost] = [:]
        init() throws {
            fixture = try PlanningFixture()
            for host in try fixture.manifest(PlanningFixture.placement).hosts {
                hosts[host.name] = FakeFleetHost(host: host, recorder: recorder)
            }
        }

        func deploy(_ desired: DesiredFleet, order: StartOrder = .fast, options: RolloutOptions = Fleet.fast) async throws -> RolloutResult {
            var observed: [ObservedHost] = []
            for host in hosts.values { observed.append(try await host.observed()) }
            let plan = Planner.plan(desired: desired, observed: observed, order: order)
            return await run(plan, desired, options: options)
        }

        /// Runs a plan on the manual clock: polls and deadlines pass in simulated time.
        func run(_ plan: Plan, _ desired: DesiredFleet, options: RolloutOptions = Fleet.fast) async -> RolloutResult {
            await RolloutDriver(hosts: hosts, clock: clock, events: { _ in })
                .run(RolloutMachine(plan: plan, desired: desired, options: options))
        }

        static var fast: RolloutOptions { RolloutOptions() }
    }

    @Test("job-config is healthy on every host before any dependent starts anywhere")
    func dependencyGate() async throws {
        let fleet = try Fleet()
        let desired = try fleet.fixture.desired()
        let result = try await fleet.deploy(desired)
        #expect(result.succeeded, "\(result.failures)")
        let configHealthy = try #require(fleet.recorder.index(of: "healthy job-config@h1"))
        let dependentStarts = fleet.recorder.all(prefix: "start job-manage") + fleet.recorder.all(prefix: "start job-execute")
        #expect(dependentStarts.count == 4)
        for entry in dependentStarts {
            #expect(try #require(fleet.recorder.index(of: entry)) > configHealthy, "\(entry) before job-config was healthy")
        }
    }

    @Test("uploads finish before anything starts")
    func uploadsFirst() async throws {
        let fleet = try Fleet()
        _ = try await fleet.deploy(try fleet.fixture.desired())
        let lastUpload = fleet.recorder.entries.lastIndex { $0.hasPrefix("upload ") } ?? -1
        let firstStart = fleet.recorder.entries.firstIndex { $0.hasPrefix("start ") } ?? Int.max
        #expect(lastUpload < firstStart)
    }

    @Test("runbook order: each service healthy everywhere before the next starts")
    func runbook() async throws {
        let fleet = try Fleet()
        let result = try await fleet.deploy(try fleet.fixture.desired(), order: .runbook)
        #expect(result.succeeded)
        let manageHealthy = fleet.recorder.all(prefix: "healthy job-manage").compactMap(fleet.recorder.index(of:))
        let executeStarts = fleet.recorder.all(prefix: "start job-execute").compactMap(fleet.recorder.index(of:))
        #expect(manageHealthy.count == 2 && executeStarts.count == 2)
        let lastHealthy = try #require(manageHealthy.max()), firstStart = try #require(executeStarts.min())
        #expect(lastHealthy < firstStart)
    }

    @Test("a second deploy with nothing changed touches nothing")
    func converges() async throws {
        let fleet = try Fleet()
        let desired = try fleet.fixture.desired()
        _ = try await fleet.deploy(desired)
        let pids = fleet.hosts.mapValues { host in ["job-config", "job-manage", "job-execute"].map { host.pid($0) } }
        let before = fleet.recorder.entries.count
        let again = try await fleet.deploy(desired)
        #expect(again.succeeded)
        #expect(again.started.isEmpty && again.restarted.isEmpty && again.uploadedBytes == 0)
        #expect(fleet.recorder.entries.count == before)
        #expect(fleet.hosts.mapValues { host in ["job-config", "job-manage", "job-execute"].map { host.pid($0) } } == pids)
    }

    @Test("an upgrade that never gets healthy stops after the first instance and reverts it")
    func failedUpgradeReverts() async throws {
        let fleet = try Fleet()
        _ = try await fleet.deploy(try fleet.fixture.desired())
        try PlanningFixture.write("\(fleet.fixture.dir)/release/backend/job-manage/job-manage.jar", "job-manage v2, broken")
        let upgraded = try fleet.fixture.desired()
        let newID = try #require(upgraded.instances(of: "job-manage").first?.artifact.id)
        for host in fleet.hosts.values { host.brokenReleases = ["job-manage/\(newID)"] }
        let oldPidOnH2 = fleet.hosts["h2"]?.pid("job-manage")

        let result = try await fleet.deploy(upgraded)
        #expect(!result.succeeded)
        #expect(result.failures.map(\.instance) == ["job-manage@h1"])
        #expect(result.failures.first?.reason.contains("gave up") == true, "\(result.failures)")
        #expect(result.failures.first?.logLines == ["ERROR job-manage is not healthy"])
        #expect(result.failures.first?.excerpts.map(\.path)
                == ["/logs/job-manage/job-manage.log", "/logs/job-manage/error.log", "/logs/job-manage/console.log"],
                "the report shows the ends of the main log, error.log and the console file")
        #expect(result.reverted == ["job-manage@h1"])
        #expect(fleet.hosts["h2"]?.pid("job-manage") == oldPidOnH2, "the second instance must never be stopped")
        #expect(fleet.recorder.all(prefix: "activate job-manage@h2").count == 1, "h2 only saw the first deploy")
        let h1Status = try await fleet.hosts["h1"]!.status(services: ["job-manage"]).services.first
        #expect(h1Status?.release != newID)
        #expect(h1Status?.health.state == .healthy)
    }

    @Test("after a reboot nothing is restarted, but deploy waits in wave order until every instance is healthy")
    func waitsForRestartedInstances() async throws {
        let fleet = try Fleet()
        let desired = try fleet.fixture.desired()
        _ = try await fleet.deploy(desired)
        for host in fleet.hosts.values { host.reboot() }
        let before = fleet.recorder.entries.count
        var observed: [ObservedHost] = []
        for host in fleet.hosts.values { observed.append(try await host.observed()) }
        let plan = Planner.plan(desired: desired, observed: observed)
        #expect(!plan.hasChanges)
        #expect(plan.settling.count == desired.instances.count)
        #expect(plan.settling.allSatisfy { $0.settling == "health unknown" })
        #expect(PlanText.summary(plan).contains("deploy waits for them"))

        let result = await fleet.run(plan, desired)
        #expect(result.succeeded, "\(result.failures)")
        #expect(result.started.isEmpty && result.restarted.isEmpty)
        #expect(Set(result.settled) == Set(desired.instances.map(\.label)))
        let after = Array(fleet.recorder.entries[before...])
        #expect(!after.contains { $0.hasPrefix("start ") || $0.hasPrefix("restart ") || $0.hasPrefix("apply ") })
        let configHealthy = try #require(after.firstIndex(of: "healthy job-config@h1"))
        let manageHealthy = after.indices.filter { after[$0].hasPrefix("healthy job-manage") }
        #expect(manageHealthy.count == 2 && manageHealthy.allSatisfy { $0 > configHealthy })
    }

    @Test("an instance its agent gives up on after a reboot fails the deploy")
    func restartedInstanceFails() async throws {
        let fleet = try Fleet()
        let desired = try fleet.fixture.desired()
        _ = try await fleet.deploy(desired)
        let manageID = try #require(desired.instances(of: "job-manage").first?.artifact.id)
        fleet.hosts["h2"]?.brokenReleases = ["job-manage/\(manageID)"]
        for host in fleet.hosts.values { host.reboot() }
        let result = try await fleet.deploy(desired)
        #expect(result.failures.map(\.instance) == ["job-manage@h2"])
        #expect(result.failures.first?.reason.contains("gave up") == true, "\(result.failures)")
    }

    @Test("a dependency that fails blocks its dependents with a reason")
    func blockedDependency() async throws {
        let fleet = try Fleet()
        let desired = try fleet.fixture.desired()
        let configID = try #require(desired.instances(of: "job-config").first?.artifact.id)
        fleet.hosts["h1"]?.brokenReleases = ["job-config/\(configID)"]
        let result = try await fleet.deploy(desired)
        #expect(result.failures.map(\.instance) == ["job-config@h1"])
        #expect(fleet.recorder.all(prefix: "start job-manage").isEmpty)
    }

    @Test("an instance that neither gets healthy nor fails is failed at its deadline, in simulated time")
    func healthDeadline() async throws {
        let fleet = try Fleet()
        for host in fleet.hosts.values { host.pollsToHealthy = .max }
        var options = Fleet.fast
        options.healthDeadline = .seconds(90)
        let desired = try fleet.fixture.desired()
        var observed: [ObservedHost] = []
        for host in fleet.hosts.values { observed.append(try await host.observed()) }
        let result = await fleet.run(Planner.plan(desired: desired, observed: observed), desired, options: options)
        #expect(result.failures.map(\.instance) == ["job-config@h1"])
        #expect(result.failures.first?.reason.hasPrefix("not healthy within 90s (health unknown)") == true, "\(result.failures)")
        #expect(fleet.clock.elapsed >= .seconds(90) && fleet.clock.elapsed < .seconds(91))
        #expect(fleet.recorder.all(prefix: "start job-manage").isEmpty)
    }

    @Test("rolling restart: one instance at a time, each healthy before the next; only control requests are sent")
    func rollingRestart() async throws {
        let fleet = try Fleet()
        let desired = try fleet.fixture.desired()
        _ = try await fleet.deploy(desired)
        let before = fleet.recorder.entries.count
        let plan = Planner.control(.restart, instances: desired.instances(of: "job-manage"), desired: desired, waitHealthy: true)
        let result = await fleet.run(plan, desired)
        #expect(result.succeeded, "\(result.failures)")
        let after = Array(fleet.recorder.entries[before...])
        #expect(after.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
            == ["start job-manage@h1", "healthy job-manage@h1", "start job-manage@h2", "healthy job-manage@h2"])
    }

    @Test("rollback goes back to the release recorded before the current one and reports it")
    func rollback() async throws {
        let fleet = try Fleet()
        let first = try fleet.fixture.desired()
        _ = try await fleet.deploy(first)
        let oldID = try #require(first.instances(of: "job-manage").first?.artifact.id)
        try PlanningFixture.write("\(fleet.fixture.dir)/release/backend/job-manage/job-manage.jar", "job-manage v2")
        let second = try fleet.fixture.desired()
        #expect(try await fleet.deploy(second).succeeded)
        var statuses: [String: [ServiceStatus]] = [:]
        for (name, host) in fleet.hosts { statuses[name] = try await host.status().services }
        let rollback = Planner.rollback(desired: second, instances: second.instances(of: "job-manage"), statuses: statuses,
                                        to: nil, history: { _ in [try! #require(second.instances(of: "job-manage").first?.artifact.id), oldID] })
        #expect(rollback.problems.isEmpty)
        let result = await fleet.run(rollback.plan, rollback.desired)
        #expect(result.succeeded, "\(result.failures)")
        #expect(result.restarted.sorted() == ["job-manage@h1", "job-manage@h2"])
        for name in ["h1", "h2"] {
            #expect(try await fleet.hosts[name]?.status(services: ["job-manage"]).services.first?.release == oldID)
        }
    }
}
