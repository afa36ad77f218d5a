import Foundation
import Shared
import Testing
@testable import Controller

/// The rollout's decisions, fed by hand: inputs in, actions out. No hosts, no clock.
@Suite("Rollout machine")
struct RolloutMachineTests {
    let fixture: PlanningFixture
    let desired: DesiredFleet

    init() throws {
        fixture = try PlanningFixture()
        desired = try fixture.desired()
    }

    /// A converged fleet in which `change` alters what the hosts report, planned.
    func plan(_ change: (inout [ObservedHost]) -> Void) -> Plan {
        var observed = PlanningFixture.converged(desired)
        change(&observed)
        return Planner.plan(desired: desired, observed: observed)
    }

    /// Hosts whose agents run `service` on an older definition (so it is replaced).
    func olderDefinition(_ service: String, on hosts: Set<String>) -> (inout [ObservedHost]) -> Void {
        { observed in
            for index in observed.indices where hosts.contains(observed[index].host.name) {
                observed[index].services[service]?.revision = "older"
            }
        }
    }

    func key(_ service: String, _ host: String) -> InstanceKey { InstanceKey(host: host, service: service) }

    /// What a healthy instance of `service` on `host` reports once on its target.
    func healthy(_ service: String, on host: String, lastExit: ExitRecord? = nil) throws -> ServiceStatus {
        let instance = try #require(desired.instances(of: service).first { $0.host.name == host })
        var status = ServiceStatus(name: service, desired: .running, state: .running, health: HealthStatus(state: .healthy))
        status.release = instance.artifact.id
        status.revision = instance.spec.revision
        status.lastExit = lastExit
        return status
    }

    /// The actions other than progress reports.
    func work(_ actions: [RolloutAction]) -> [RolloutAction] {
        actions.filter { if case .emit = $0 { false } else { true } }
    }

    /// Answers the gates of job-config's dependents: job-config is healthy on h1.
    func openGates(_ machine: inout RolloutMachine) throws -> [RolloutAction] {
        machine.handle(.statuses(host: "h1", [try healthy("job-config", on: "h1")]), at: .zero)
    }

    /// Runs `key`'s replacement up to its health wait (its agent restarts it on request).
    func toWait(_ machine: inout RolloutMachine, _ key: InstanceKey, baseline: ExitRecord? = nil) -> [RolloutAction] {
        _ = machine.handle(.stepDone(key, .activated(unchanged: true)), at: .zero)
        _ = machine.handle(.stepDone(key, .applied(started: false, lastExit: nil)), at: .zero)
        var status = ServiceStatus(name: key.service, desired: .running, state: .running)
        status.lastExit = baseline
        return machine.handle(.stepDone(key, .controlled(status)), at: .zero)
    }

    @Test("an instance whose definition changed: activate, apply, restart, then ask its host until healthy")
    func replacementSteps() throws {
        let plan = plan(olderDefinition("job-config", on: ["h1"]))
        var machine = RolloutMachine(plan: plan, desired: desired, options: RolloutOptions())
        let config = key("job-config", "h1")
        let release = try #require(desired.instances(of: "job-config").first?.artifact.id)
        let spec = try #require(desired.instances(of: "job-config").first?.spec)

        #expect(work(machine.start()) == [.activate(config, release: release)])
        #expect(work(machine.handle(.stepDone(config, .activated(unchanged: true)), at: .zero)) == [.apply(config, spec)])
        #expect(work(machine.handle(.stepDone(config, .applied(started: false, lastExit: nil)), at: .zero))
            == [.control(config, .restart)])
        let afterRestart = machine.handle(.stepDone(config, .controlled(nil)), at: .milliseconds(10))
        #expect(afterRestart.contains(.emit(.step(instance: "job-config@h1", what: "restarted"))))
        #expect(work(afterRestart) == [.askStatus(host: "h1", services: ["job-config"])])

        var starting = try healthy("job-config", on: "h1")
        starting.health = HealthStatus(state: .unknown)
        #expect(work(machine.handle(.statuses(host: "h1", [starting]), at: .milliseconds(20))).isEmpty,
                "the next question waits for the poll interval")
        #expect(work(machine.handle(.tick, at: .milliseconds(220))) == [.askStatus(host: "h1", services: ["job-config"])])
        let done = machine.handle(.statuses(host: "h1", [try healthy("job-config", on: "h1")]), at: .milliseconds(230))
        #expect(done.contains(.emit(.healthy(instance: "job-config@h1", seconds: 0.22))))
        #expect(machine.isFinished && machine.result.succeeded)
        #expect(machine.result.restarted == ["job-config@h1"])
    }

    /// How a started instance's first status is judged.
    struct Verdict: Sendable, CustomTestStringConvertible {
        var name: String
        var status: @Sendable (ServiceStatus) -> ServiceStatus?
        var at: Duration
        /// nil: healthy; otherwise the start of the failure's reason.
        var failure: String?
        var testDescription: String { name }
    }

    static let crash = ExitRecord(at: Date(timeIntervalSince1970: 2), code: 1, signal: nil, requested: false,
                                  stopStep: nil, statusKnown: true, ranSeconds: 1)
    static let verdicts: [Verdict] = [
        Verdict(name: "healthy on its target", status: { $0 }, at: .seconds(1), failure: nil),
        Verdict(name: "its agent gave up", status: { var s = $0; s.state = .failed; s.failedReason = "too many exits"; return s },
                at: .seconds(1), failure: "the agent gave up restarting it: too many exits"),
        Verdict(name: "an exit of its own since the start", status: { var s = $0; s.lastExit = crash; return s },
                at: .seconds(1), failure: "exited during start-up (exit 1)"),
        Verdict(name: "still starting at the deadline",
                status: { var s = $0; s.health = HealthStatus(state: .unknown); return s },
                at: .seconds(180), failure: "not healthy within 3m (health unknown)"),
        Verdict(name: "still starting before the deadline",
                status: { var s = $0; s.health = HealthStatus(state: .unknown); return s }, at: .seconds(179), failure: ""),
        Verdict(name: "unknown to its agent at the deadline", status: { _ in nil },
                at: .seconds(180), failure: "not healthy within 3m (not known to the agent yet)"),
    ]

    @Test("a started instance's status is judged: healthy, failed by its agent, exited, or late", arguments: verdicts)
    func judging(_ verdict: Verdict) throws {
        var options = RolloutOptions()
        options.revertOnFailure = false
        var machine = RolloutMachine(plan: plan(olderDefinition("job-config", on: ["h1"])), desired: desired, options: options)
        let config = key("job-config", "h1")
        _ = machine.start()
        _ = toWait(&machine, config)
        let status = verdict.status(try healthy("job-config", on: "h1"))
        let actions = machine.handle(.statuses(host: "h1", status.map { [$0] } ?? []), at: verdict.at)
        switch verdict.failure {
        case nil:
            #expect(machine.isFinished && machine.result.succeeded)
        case ""?:
            #expect(work(actions) == [.askStatus(host: "h1", services: ["job-config"])], "asked again: a poll is due")
            #expect(!machine.isFinished)
        case let reason?:
            #expect(work(actions) == [.fetchLogs(config, lines: 20)])
            _ = machine.handle(.logs(config, ["ERROR boom"]), at: verdict.at)
            #expect(machine.isFinished)
            #expect(machine.result.failures.map(\.reason) == [reason])
            #expect(machine.result.failures.first?.logLines == ["ERROR boom"])
        }
    }

    @Test("an answer to a question asked before an instance started is not taken for its status")
    func staleAnswer() throws {
        let manage = key("job-manage", "h1")
        var options = RolloutOptions()
        options.maxParallel = 2
        var both = RolloutMachine(plan: plan { observed in
            self.olderDefinition("job-manage", on: ["h1"])(&observed)
            self.olderDefinition("job-execute", on: ["h1"])(&observed)
        }, desired: desired, options: options)
        #expect(work(both.start()) == [.askStatus(host: "h1", services: ["job-config"])], "the gate asks first")
        _ = try openGates(&both)
        let execute = key("job-execute", "h1")
        #expect(work(toWait(&both, manage)) == [.askStatus(host: "h1", services: ["job-manage"])])
        // job-execute starts while h1's answer about job-manage is on its way.
        #expect(work(toWait(&both, execute)).isEmpty, "one question per host at a time")
        let early = both.handle(.statuses(host: "h1", [try healthy("job-manage", on: "h1")]), at: .milliseconds(5))
        #expect(early.contains(.emit(.healthy(instance: "job-manage@h1", seconds: 0.005))))
        #expect(!early.contains { if case .emit(.healthy(instance: "job-execute@h1", _)) = $0 { true } else { false } })
        #expect(work(early) == [.askStatus(host: "h1", services: ["job-execute"])], "asked again at once, for job-execute")
        _ = both.handle(.statuses(host: "h1", [try healthy("job-execute", on: "h1")]), at: .milliseconds(10))
        #expect(both.isFinished && both.result.succeeded)
    }

    @Test("running instances are replaced --max-parallel at a time", arguments: [(1, [1, 1]), (2, [2])])
    func batches(maxParallel: Int, batches: [Int]) throws {
        var options = RolloutOptions()
        options.maxParallel = maxParallel
        var machine = RolloutMachine(plan: plan(olderDefinition("job-execute", on: ["h1", "h2"])), desired: desired,
                                     options: options)
        var seen: [Int] = []
        _ = machine.start()
        var actions = work(try openGates(&machine))
        while !actions.isEmpty {
            let keys = actions.compactMap { if case .activate(let key, _) = $0 { key } else { nil } }
            seen.append(keys.count)
            var next: [RolloutAction] = []
            for key in keys { _ = toWait(&machine, key) }
            for host in ["h1", "h2"] {
                next += machine.handle(.statuses(host: host, [try healthy("job-execute", on: host)]), at: .seconds(1))
            }
            actions = work(next)
        }
        #expect(seen == batches)
        #expect(machine.isFinished && machine.result.succeeded)
    }

    @Test("a failed replacement is put back: files, release, previous definition, restart, health")
    func revert() throws {
        let previousRelease = "0123456789abcdef"
        let plan = plan { observed in
            let index = observed.firstIndex { $0.host.name == "h1" }!
            observed[index].services["job-config"]?.release = previousRelease
            observed[index].services["job-config"]?.activeRelease = previousRelease
            observed[index].services["job-config"]?.revision = "older"
            let file = self.desired.instances(of: "job-config")[0].files[0].remotePath
            observed[index].files[file] = "old-sha"
            observed[index].fileContents[file] = Array("old: 1\n".utf8)
        }
        var machine = RolloutMachine(plan: plan, desired: desired, options: RolloutOptions())
        let config = key("job-config", "h1")
        let instance = desired.instances(of: "job-config")[0]
        #expect(work(machine.start()) == [.write(config, plan.hosts[0].files.map(\.file))])
        _ = machine.handle(.stepDone(config, .wrote), at: .zero)
        _ = toWait(&machine, config)
        var failed = try healthy("job-config", on: "h1")
        failed.state = .failed
        _ = machine.handle(.statuses(host: "h1", [failed]), at: .seconds(1))
        let change = try #require(plan.hosts[0].files.first)
        #expect(work(machine.handle(.logs(config, []), at: .seconds(1))) == [.restore(config, change)])
        #expect(work(machine.handle(.stepDone(config, .restored), at: .seconds(1))) == [.activate(config, release: previousRelease)])
        var previous = instance.spec
        previous.release = previousRelease
        previous.revision = "older"
        #expect(work(machine.handle(.stepDone(config, .activated(unchanged: false)), at: .seconds(1))) == [.apply(config, previous)])
        #expect(work(machine.handle(.stepDone(config, .applied(started: false, lastExit: nil)), at: .seconds(1)))
            == [.control(config, .restart)])
        _ = machine.handle(.stepDone(config, .controlled(nil)), at: .seconds(1))
        var back = try healthy("job-config", on: "h1")
        back.release = previousRelease
        back.revision = "older"
        let actions = machine.handle(.statuses(host: "h1", [back]), at: .seconds(2))
        #expect(actions.contains(.emit(.reverted(instance: "job-config@h1", release: previousRelease, healthy: true))))
        #expect(machine.isFinished && machine.result.reverted == ["job-config@h1"])
        #expect(machine.result.failures.map(\.instance) == ["job-config@h1"])
    }

    @Test("a failed upload ends the rollout before anything starts")
    func uploadFails() throws {
        var machine = RolloutMachine(plan: Planner.plan(desired: desired, observed: []), desired: desired, options: RolloutOptions())
        let uploads = work(machine.start())
        #expect(uploads.count == 2 && uploads.allSatisfy { if case .upload = $0 { true } else { false } })
        #expect(work(machine.handle(.uploaded(host: "h1", error: "disk full"), at: .seconds(1))).isEmpty)
        #expect(work(machine.handle(.uploaded(host: "h2", error: nil), at: .seconds(2))).isEmpty)
        #expect(machine.isFinished)
        #expect(machine.result.failures.map(\.description) == ["upload@h1: upload failed: disk full"])
    }

    @Test("dependents wait at the gate until job-config answers healthy, then start")
    func gate() throws {
        var machine = RolloutMachine(plan: Planner.plan(desired: desired, observed: []), desired: desired, options: RolloutOptions())
        _ = machine.start()
        _ = machine.handle(.uploaded(host: "h1", error: nil), at: .seconds(1))
        let first = work(machine.handle(.uploaded(host: "h2", error: nil), at: .seconds(1)))
        #expect(first.count == 1, "only job-config's files are written: \(first)")
        let config = key("job-config", "h1")
        _ = machine.handle(.stepDone(config, .wrote), at: .seconds(1))
        _ = machine.handle(.stepDone(config, .activated(unchanged: false)), at: .seconds(1))
        let started = work(machine.handle(.stepDone(config, .applied(started: true, lastExit: nil)), at: .seconds(1)))
        #expect(started == [.askStatus(host: "h1", services: ["job-config"])])
        let done = work(machine.handle(.statuses(host: "h1", [try healthy("job-config", on: "h1")]), at: .seconds(2)))
        #expect(done == [.askStatus(host: "h1", services: ["job-config"])], "the gates want an answer of their own")
        let next = work(try openGates(&machine))
        let writes = next.compactMap { if case .write(let key, _) = $0 { key } else { nil } }
        #expect(Set(writes) == [key("job-manage", "h1"), key("job-manage", "h2"), key("job-execute", "h1"), key("job-execute", "h2")])
    }
}
