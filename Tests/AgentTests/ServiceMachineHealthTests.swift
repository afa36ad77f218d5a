import Foundation
import Testing
@testable import Agent
@testable import Shared

@Suite("Service machine: health probes")
struct ServiceMachineHealthTests {
    let t0 = Fixture.t0

    /// A running machine with the check, its first probe under way.
    func probing() -> ServiceMachine {
        var machine = Fixture.running(Fixture.spec(health: Fixture.check))
        _ = machine.handle(.probeDue)
        return machine
    }

    @Test("a spawn schedules the first probe soon; the timer starts one probe of the current pid")
    func firstProbe() {
        var machine = ServiceMachine(spec: Fixture.spec(health: Fixture.check))
        _ = machine.handle(.applied(Fixture.spec(health: Fixture.check), at: t0))
        let actions = machine.handle(.spawned(pid: Fixture.pid, startTicks: 1, release: nil, at: t0))
        #expect(actions.effects == [.scheduleProbe(afterSeconds: ServiceMachine.earlyProbeInterval), .persist])
        #expect(machine.handle(.probeDue) == [.probe(pid: Fixture.pid, check: Fixture.check)])
        #expect(machine.handle(.probeDue).isEmpty, "one probe at a time")
    }

    /// Each row: probe results (seconds after the start, passed) and the verdict they lead to.
    @Test("probe results move the verdict: failures in the grace do not count, thresholds decide", arguments: [
        ([(1.0, false)], HealthState.unknown),
        ([(11.0, false)], .unknown),
        ([(11.0, false), (12.0, false)], .unhealthy),
        ([(1.0, false), (2.0, false), (3.0, true)], .healthy),
        ([(1.0, true), (11.0, false), (12.0, false)], .unhealthy),
        ([(1.0, true), (11.0, false), (12.0, true), (13.0, false)], .healthy),
    ] as [([(Double, Bool)], HealthState)])
    func verdicts(results: [(Double, Bool)], expected: HealthState) {
        var machine = probing()
        for (seconds, passed) in results {
            _ = machine.handle(.probeDue)
            _ = machine.handle(.probed(pid: Fixture.pid, error: passed ? nil : "connection refused", at: t0 + seconds))
        }
        #expect(machine.record.health.state == expected)
    }

    @Test("a changed verdict is reported and saved; the next probe comes at the interval, or soon while unknown")
    func reportAndInterval() {
        var machine = probing()
        let failed = machine.handle(.probed(pid: Fixture.pid, error: "refused", at: t0 + 1))
        #expect(failed == [.scheduleProbe(afterSeconds: ServiceMachine.earlyProbeInterval)], "in the grace: no verdict, no write")
        _ = machine.handle(.probeDue)
        let passed = machine.handle(.probed(pid: Fixture.pid, error: nil, at: t0 + 2))
        #expect(passed == [.report(.healthChanged(from: .unknown, to: .healthy, error: nil)),
                           .scheduleProbe(afterSeconds: 5), .persist])
        #expect(machine.record.health.healthySince == t0 + 2)
    }

    @Test("a result about an earlier process, or arriving during a stop, is dropped")
    func staleResults() {
        var restarted = probing()
        _ = restarted.handle(.exited(.exited(1), at: t0 + 1))
        _ = restarted.handle(.timerFired(at: t0 + 2))
        _ = restarted.handle(.spawned(pid: 77, startTicks: 2, release: nil, at: t0 + 2))
        #expect(restarted.handle(.probed(pid: Fixture.pid, error: nil, at: t0 + 3)).isEmpty)
        #expect(restarted.record.health.state == .unknown)

        var stopping = probing()
        _ = stopping.handle(.stopRequested(timeoutSeconds: nil, at: t0 + 1))
        #expect(stopping.handle(.probed(pid: Fixture.pid, error: nil, at: t0 + 2)).isEmpty)
        #expect(stopping.handle(.probeDue).isEmpty)
        #expect(stopping.record.health.state == .unknown)
    }

    @Test("a health check added to a running service is probed without a restart")
    func checkAdded() {
        var machine = Fixture.running()
        let actions = machine.handle(.applied(Fixture.spec(health: Fixture.check), at: t0 + 1))
        #expect(actions.effects == [.scheduleProbe(afterSeconds: 0), .persist])
        #expect(machine.handle(.probeDue) == [.probe(pid: Fixture.pid, check: Fixture.check)])
    }
}
