import Foundation
import Testing
@testable import Agent
@testable import Shared

@Suite("Service machine: a new agent takes over")
struct ServiceMachineAdoptionTests {
    let t0 = Fixture.t0

    @Test("the process is adopted only when its pid is alive with the recorded start time (none is given after a kernel reboot)",
          arguments: [
              (Fixture.startTicks as UInt64?, false, true),
              (Fixture.startTicks + 1, false, false),
              (nil, false, false),
              (nil, true, false),
              (Fixture.startTicks + 1, true, false),
          ] as [(UInt64?, Bool, Bool)])
    func adoption(liveStartTicks: UInt64?, rebooted: Bool, adopted: Bool) throws {
        var machine = try Fixture.saved(Fixture.running())
        #expect(!machine.ownChild, "a decoded machine has no child of this process")
        let actions = machine.handle(.agentStarted(liveStartTicks: liveStartTicks, rebooted: rebooted, at: t0 + 100))
        if adopted {
            #expect(actions == [.report(.adopted(pid: Fixture.pid))])
            #expect(machine.state == .running)
            #expect(machine.adopted)
            #expect(machine.record.process?.pid == Fixture.pid)
        } else {
            #expect(machine.record.process == nil)
            #expect(!machine.adopted)
        }
    }

    @Test("a process that ended while no agent watched counts as a crash with its status unknown")
    func endedUnwatched() throws {
        var machine = try Fixture.saved(Fixture.running())
        let actions = machine.handle(.agentStarted(liveStartTicks: nil, rebooted: false, at: t0 + 100))
        #expect(actions.effects == [.scheduleTimer(at: t0 + 101), .persist])
        #expect(machine.state == .backoff)
        #expect(machine.record.lastExit?.statusKnown == false)
        #expect(machine.record.lastExit?.requested == false)
        #expect(machine.record.failures.consecutive == 1)
    }

    @Test("after a reboot the service starts afresh: no failure counted, no exit recorded")
    func afterReboot() throws {
        var machine = try Fixture.saved(Fixture.running())
        // After a kernel reboot the driver gives no start time: pids of another boot mean nothing.
        let actions = machine.handle(.agentStarted(liveStartTicks: nil, rebooted: true, at: t0 + 100))
        #expect(actions == [.report(.hostRebooted), .spawn(.start), .persist])
        #expect(machine.record.failures == FailureHistory())
        #expect(machine.record.lastExit == nil)
    }

    @Test("a host boot id that changed while the kernel did not never hides the live process: it is adopted")
    func bootIdChangedProcessAlive() throws {
        var machine = try Fixture.saved(Fixture.running())
        let actions = machine.handle(.agentStarted(liveStartTicks: Fixture.startTicks, rebooted: true, at: t0 + 100))
        #expect(actions.reports == [.adopted(pid: Fixture.pid)])
        #expect(!actions.contains(.spawn(.start)), "a second copy would fight the first for its port")
        #expect(machine.adopted)
    }

    @Test("an adopted process's health is probed at once; an adopted stop resumes its deadline")
    func adoptedTimers() throws {
        var healthy = try Fixture.saved(Fixture.running(Fixture.spec(health: Fixture.check)))
        #expect(healthy.handle(.agentStarted(liveStartTicks: Fixture.startTicks, rebooted: false, at: t0 + 100)).effects
                == [.scheduleProbe(afterSeconds: 0)])

        var stopping = Fixture.running()
        _ = stopping.handle(.stopRequested(timeoutSeconds: 30, at: t0))
        stopping = try Fixture.saved(stopping)
        #expect(stopping.handle(.agentStarted(liveStartTicks: Fixture.startTicks, rebooted: false, at: t0 + 5)).effects
                == [.scheduleTimer(at: t0 + 30)])
        #expect(stopping.handle(.timerFired(at: t0 + 30)).effects == [.signal(.kill), .persist])
    }

    @Test("a saved backoff sets its timer again; a saved failed verdict stays")
    func savedBackoffAndFailed() throws {
        var backoff = Fixture.running()
        _ = backoff.handle(.exited(.exited(1), at: t0 + 1))
        backoff = try Fixture.saved(backoff)
        #expect(backoff.handle(.agentStarted(liveStartTicks: nil, rebooted: false, at: t0 + 1.5)) == [.scheduleTimer(at: t0 + 2)])

        var failed = Fixture.running(Fixture.spec(restart: RestartPolicy(maxFailures: 1)))
        _ = failed.handle(.exited(.exited(1), at: t0 + 1))
        failed = try Fixture.saved(failed)
        #expect(failed.handle(.agentStarted(liveStartTicks: nil, rebooted: false, at: t0 + 2)).isEmpty)
        #expect(failed.state == .failed)
    }

    @Test("only the record is saved: the state file keeps its shape")
    func savedShape() throws {
        let machine = Fixture.running()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let encoded = try encoder.encode(machine)
        #expect(try JSONDecoder().decode(ServiceRecord.self, from: encoded) == machine.record)
        #expect(try encoder.encode(machine.record) == encoded)
    }

    @Test("a stop step is saved as the signal's name, as the state file always had it", arguments: StopStep.allCases)
    func stopStepSaved(step: StopStep) throws {
        let record = StopRecord(since: t0, deadline: t0 + 20, step: step, thenStart: false)
        let json = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        #expect(json.contains(#""step":"\#(step == .terminate ? "SIGTERM" : "SIGKILL")""#))
        #expect(try JSONDecoder().decode(StopRecord.self, from: Data(json.utf8)) == record)
    }
}
