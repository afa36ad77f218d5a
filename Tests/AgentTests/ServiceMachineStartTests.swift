import Foundation
import Testing
@testable import Agent
@testable import Shared

@Suite("Service machine: starts, crashes, backoff and failed")
struct ServiceMachineStartTests {
    let t0 = Fixture.t0

    /// Ways a stopped service that should run comes to be started.
    enum StartTrigger: String, CaseIterable {
        case applied, startRequested, restartRequested, agentStarted

        /// The event, applying `spec` where one is applied.
        func event(_ spec: ServiceSpec, at time: Date) -> ServiceEvent {
            switch self {
            case .applied: .applied(spec, at: time)
            case .startRequested: .startRequested
            case .restartRequested: .restartRequested(timeoutSeconds: nil, at: time)
            case .agentStarted: .agentStarted(liveStartTicks: nil, rebooted: false, at: time)
            }
        }
    }

    @Test("a service that should run and does not is spawned", arguments: StartTrigger.allCases)
    func spawnOnStart(trigger: StartTrigger) {
        var machine = ServiceMachine(spec: Fixture.spec())
        #expect(machine.handle(trigger.event(Fixture.spec(), at: t0)).effects == [.spawn(.start)])
        #expect(machine.pendingSpawn == .start)

        let actions = machine.handle(.spawned(pid: Fixture.pid, startTicks: Fixture.startTicks, release: "r1", at: t0))
        #expect(actions == [.report(.started(pid: Fixture.pid, reason: .start)), .persist])
        #expect(machine.state == .running)
        #expect(machine.ownChild && !machine.adopted)
        #expect(machine.record.process == ProcessRecord(pid: Fixture.pid, startTicks: Fixture.startTicks, startedAt: t0, release: "r1"))
        #expect(machine.record.restarts == 0)
    }

    @Test("a service applied as stopped is not spawned")
    func appliedStopped() {
        var machine = ServiceMachine(spec: Fixture.spec(desired: .stopped))
        #expect(machine.handle(.applied(Fixture.spec(desired: .stopped), at: t0)).isEmpty)
        #expect(machine.state == .stopped)
    }

    @Test("an unexpected exit schedules a restart after the backoff; the timer respawns it and counts a restart")
    func exitThenBackoff() {
        var machine = Fixture.running()
        let actions = machine.handle(.exited(.signaled(9), at: t0 + 30))
        let due = t0 + 31
        #expect(actions.effects == [.scheduleTimer(at: due), .persist])
        #expect(actions.reports.contains(.restartScheduled(afterSeconds: 1)))
        #expect(machine.state == .backoff)
        #expect(machine.record.lastExit?.signal == 9)
        #expect(machine.record.lastExit?.requested == false)
        #expect(machine.record.lastExit?.ranSeconds == 30)

        #expect(machine.handle(.timerFired(at: t0 + 30.5)) == [.scheduleTimer(at: due)], "early: set again")
        #expect(machine.handle(.timerFired(at: due)) == [.spawn(.restart)])
        _ = machine.handle(.spawned(pid: 5000, startTicks: 1, release: "r1", at: due))
        #expect(machine.state == .running)
        #expect(machine.record.restarts == 1)
        #expect(machine.record.nextRestartAt == nil)
    }

    @Test("consecutive quick failures double the backoff until the window's limit makes the service failed",
          arguments: [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0)])
    func backoffDoubles(failures: Int, lastBackoff: Double) {
        var machine = Fixture.running(Fixture.spec(restart: RestartPolicy(maxFailures: 5, windowSeconds: 300)))
        var now = t0
        var backoff = 0.0
        for attempt in 1...failures {
            let actions = machine.handle(.exited(.exited(1), at: now + 1))
            guard case .restartScheduled(let seconds)? = actions.reports.last else {
                Issue.record("attempt \(attempt): no restart scheduled: \(actions)")
                return
            }
            backoff = seconds
            now = now + 1 + seconds
            _ = machine.handle(.timerFired(at: now))
            _ = machine.handle(.spawned(pid: Fixture.pid + Int32(attempt), startTicks: UInt64(attempt), release: nil, at: now))
        }
        #expect(backoff == lastBackoff)
    }

    @Test("the window's last failure makes the service failed: no timer, the reason kept")
    func repeatedFailuresFail() {
        var machine = Fixture.running(Fixture.spec(restart: RestartPolicy(maxFailures: 3, windowSeconds: 120)))
        var now = t0
        for attempt in 1...2 {
            _ = machine.handle(.exited(.exited(1), at: now + 1))
            now = machine.record.nextRestartAt!
            #expect(machine.handle(.timerFired(at: now)) == [.spawn(.restart)])
            _ = machine.handle(.spawned(pid: Fixture.pid + Int32(attempt), startTicks: 1, release: nil, at: now))
        }
        let actions = machine.handle(.exited(.exited(1), at: now + 1))
        #expect(actions.effects == [.persist])
        #expect(machine.state == .failed)
        #expect(machine.record.failedReason?.contains("3 unexpected exits within 2 min") == true)
        #expect(machine.record.restarts == 2)
        #expect(machine.handle(.timerFired(at: now + 3600)).isEmpty, "failed: no more restarts")
    }

    @Test("an explicit start clears failed and the failure history, and spawns at once")
    func startClearsFailed() {
        var machine = Fixture.running(Fixture.spec(restart: RestartPolicy(maxFailures: 1)))
        _ = machine.handle(.exited(.exited(1), at: t0 + 1))
        #expect(machine.state == .failed)
        #expect(machine.handle(.startRequested) == [.spawn(.start), .persist])
        #expect(machine.record.failedReason == nil)
        #expect(machine.record.failures == FailureHistory())
        #expect(machine.state == .stopped, "until the spawn is answered")
    }

    @Test("a spawn that fails counts as a failure: backoff, then failed with the error in the reason")
    func spawnFailure() {
        var machine = ServiceMachine(spec: Fixture.spec(restart: RestartPolicy(maxFailures: 2)))
        _ = machine.handle(.applied(Fixture.spec(restart: RestartPolicy(maxFailures: 2)), at: t0))
        let first = machine.handle(.spawnFailed(error: "spawn java: No such file or directory", at: t0))
        #expect(first.effects == [.scheduleTimer(at: t0 + 1), .persist])
        #expect(first.reports == [.spawnFailed(message: "cannot start: spawn java: No such file or directory")])
        #expect(machine.state == .backoff)
        _ = machine.handle(.timerFired(at: t0 + 1))
        _ = machine.handle(.spawnFailed(error: "spawn java: No such file or directory", at: t0 + 1))
        #expect(machine.state == .failed)
        #expect(machine.record.failedReason?.hasPrefix("cannot start: spawn java") == true)
    }

    @Test("a changed spec of a running service asks for a restart instead of restarting", arguments: [
        (Fixture.spec(), false),
        (Fixture.spec(command: ["java", "-Xmx1g", "-jar", "job-manage.jar"]), true),
        (Fixture.spec(stopTimeout: 90), true),
        (Fixture.spec(revision: "c0ffee"), true),
        (Fixture.spec(health: Fixture.check), true),
        (Fixture.spec(version: "3.12.3"), false),
    ])
    func restartNeeded(applied: ServiceSpec, needed: Bool) {
        var machine = Fixture.running()
        let actions = machine.handle(.applied(applied, at: t0 + 5))
        #expect(actions.reports == (needed ? [.restartNeeded] : []))
        #expect(!actions.contains { if case .spawn = $0 { true } else if case .signal = $0 { true } else { false } })
        #expect(machine.state == .running)
        #expect(machine.record.process?.pid == Fixture.pid)
    }

    @Test("a process keeps the release version its spec named when it started, until it restarts")
    func versionAtStart() {
        var machine = Fixture.running(Fixture.spec(version: "3.12.2"))
        #expect(machine.record.process?.version == "3.12.2")
        #expect(machine.handle(.applied(Fixture.spec(version: "3.12.3"), at: t0 + 5)).reports.isEmpty)
        #expect(machine.record.process?.version == "3.12.2")
        #expect(machine.record.spec.version == "3.12.3")
        _ = machine.handle(.restartRequested(timeoutSeconds: nil, at: t0 + 6))
        _ = machine.handle(.exited(.signaled(15), at: t0 + 7))
        _ = machine.handle(.spawned(pid: Fixture.pid + 1, startTicks: Fixture.startTicks + 1, release: "r1", at: t0 + 7))
        #expect(machine.record.process?.version == "3.12.3")
    }

    @Test("a new definition clears failed and starts the service again")
    func newDefinitionClearsFailed() {
        var machine = Fixture.running(Fixture.spec(restart: RestartPolicy(maxFailures: 1)))
        _ = machine.handle(.exited(.exited(1), at: t0 + 1))
        #expect(machine.state == .failed)
        #expect(machine.handle(.applied(Fixture.spec(restart: RestartPolicy(maxFailures: 1)), at: t0 + 2)).isEmpty,
                "the same definition leaves failed alone")
        let changed = Fixture.spec(command: ["java", "-jar", "fixed.jar"], restart: RestartPolicy(maxFailures: 1))
        #expect(machine.handle(.applied(changed, at: t0 + 3)).effects == [.spawn(.start), .persist])
    }
}
