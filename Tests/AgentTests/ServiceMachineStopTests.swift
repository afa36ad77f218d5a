import Foundation
import Testing
@testable import Agent
@testable import Shared

@Suite("Service machine: the stop sequence")
struct ServiceMachineStopTests {
    let t0 = Fixture.t0

    @Test("stop sends SIGTERM and sets the timer to the stop timeout; a request's timeout overrides the spec's",
          arguments: [(nil, 20.0), (5.0, 5.0), (-1.0, 0.0)] as [(Double?, Double)])
    func stopSendsTerm(timeout: Double?, seconds: Double) {
        var machine = Fixture.running()
        let actions = machine.handle(.stopRequested(timeoutSeconds: timeout, at: t0 + 10))
        #expect(actions == [.signal(.terminate), .report(.stopping(pid: Fixture.pid, timeoutSeconds: seconds)),
                            .scheduleTimer(at: t0 + 10 + seconds), .persist])
        #expect(machine.state == .stopping)
        #expect(machine.record.spec.desired == .stopped)
        #expect(machine.record.stopping?.step == .terminate)
    }

    @Test("the timer escalates to SIGKILL only once the deadline has passed, and the step that ended it is recorded")
    func escalation() {
        var machine = Fixture.running()
        _ = machine.handle(.stopRequested(timeoutSeconds: 10, at: t0))
        #expect(machine.handle(.timerFired(at: t0 + 9.9)) == [.scheduleTimer(at: t0 + 10)])
        #expect(machine.handle(.timerFired(at: t0 + 10)) == [.report(.stopEscalated(pid: Fixture.pid, step: .kill)),
                                                             .signal(.kill), .persist])
        #expect(machine.record.stopping?.step == .kill)
        #expect(machine.handle(.timerFired(at: t0 + 20)).isEmpty, "SIGKILL is the last step")

        let actions = machine.handle(.exited(.signaled(9), at: t0 + 10.1))
        #expect(actions.reports.count == 1)
        #expect(machine.state == .stopped)
        #expect(machine.record.lastExit?.stopStep == "SIGKILL")
        #expect(machine.record.lastExit?.requested == true)
        #expect(machine.record.lastExit?.summary == "killed by signal 9 after SIGKILL")
    }

    @Test("any exit after SIGTERM is a clean stop: no failure counted, no restart", arguments: [
        ExitOutcome.exited(143), .exited(0), .exited(1), .signaled(15), nil,
    ])
    func cleanStop(outcome: ExitOutcome?) {
        var machine = Fixture.running(Fixture.spec(restart: RestartPolicy(maxFailures: 1)))
        _ = machine.handle(.stopRequested(timeoutSeconds: nil, at: t0 + 5))
        let actions = machine.handle(.exited(outcome, at: t0 + 7))
        #expect(actions.effects == [.persist])
        #expect(machine.state == .stopped)
        #expect(machine.record.failures == FailureHistory())
        #expect(machine.record.lastExit?.requested == true)
        #expect(machine.record.lastExit?.stopStep == "SIGTERM")
        #expect(machine.record.lastExit?.statusKnown == (outcome != nil))
        #expect(machine.handle(.timerFired(at: t0 + 60)).isEmpty, "the stale stop timer does nothing")
    }

    @Test("exit 143 after SIGTERM reads as a drained JVM in the exit record")
    func exit143() {
        var machine = Fixture.running()
        _ = machine.handle(.stopRequested(timeoutSeconds: nil, at: t0 + 5))
        _ = machine.handle(.exited(.exited(143), at: t0 + 7))
        #expect(machine.record.lastExit?.code == 143)
        #expect(machine.record.lastExit?.summary == "exit 143 after SIGTERM")
        #expect(machine.record.lastExit?.ranSeconds == 7)
    }

    @Test("restart stops, then starts once the process has exited")
    func restart() {
        var machine = Fixture.running()
        #expect(machine.handle(.restartRequested(timeoutSeconds: 3, at: t0 + 1)).effects
                == [.signal(.terminate), .scheduleTimer(at: t0 + 4), .persist])
        #expect(machine.handle(.exited(.exited(143), at: t0 + 2)).effects == [.spawn(.start), .persist])
        _ = machine.handle(.spawned(pid: 7, startTicks: 8, release: nil, at: t0 + 2))
        #expect(machine.state == .running)
        #expect(machine.record.restarts == 0, "an operator's restart is not an automatic one")
    }

    @Test("a start during a stop starts the service once it has exited")
    func startDuringStop() {
        var machine = Fixture.running()
        _ = machine.handle(.stopRequested(timeoutSeconds: nil, at: t0))
        #expect(machine.handle(.startRequested).effects == [.persist])
        #expect(machine.record.stopping?.thenStart == true)
        #expect(machine.handle(.exited(.exited(143), at: t0 + 1)).effects == [.spawn(.start), .persist])
    }

    @Test("a second stop keeps the first one's deadline")
    func secondStop() {
        var machine = Fixture.running()
        _ = machine.handle(.stopRequested(timeoutSeconds: 10, at: t0))
        #expect(machine.handle(.stopRequested(timeoutSeconds: 1, at: t0 + 1)).isEmpty)
        #expect(machine.record.stopping?.deadline == t0 + 10)
    }

    @Test("stopping a service in backoff cancels the pending restart")
    func stopInBackoff() {
        var machine = Fixture.running()
        _ = machine.handle(.exited(.exited(1), at: t0 + 1))
        #expect(machine.state == .backoff)
        #expect(machine.handle(.stopRequested(timeoutSeconds: nil, at: t0 + 1.5)).effects == [.persist])
        #expect(machine.state == .stopped)
        #expect(machine.handle(.timerFired(at: t0 + 2)).isEmpty)
    }

    @Test("a pruned service is stopped and forgotten once it exited; without a process at once")
    func prune() {
        var machine = Fixture.running()
        #expect(machine.handle(.pruned(at: t0)).effects == [.signal(.terminate), .scheduleTimer(at: t0 + 20), .persist])
        #expect(machine.handle(.exited(.exited(143), at: t0 + 1)).effects == [.forget, .persist])

        var idle = ServiceMachine(spec: Fixture.spec(desired: .stopped))
        #expect(idle.handle(.pruned(at: t0)).effects == [.forget, .persist])
    }
}
