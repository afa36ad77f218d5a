import Foundation
import Testing
@testable import Agent
@testable import Shared

@Suite("Service machine: starts held at the start gates")
struct ServiceMachineGateTests {
    let t0 = Fixture.t0
    static let consul = ConsulEndpoint(scheme: "http", port: 18500)
    static let gate = StartGate(service: "job-config", consul: consul)

    static func gated(desired: DesiredState = .running) -> ServiceSpec {
        var spec = Fixture.spec(desired: desired)
        spec.startGates = [gate]
        return spec
    }

    /// Every way a start comes about asks for a gate check first, never a spawn.
    @Test("every start is held for a gate check", arguments: ServiceMachineStartTests.StartTrigger.allCases)
    func heldOnEveryStart(trigger: ServiceMachineStartTests.StartTrigger) {
        var machine = ServiceMachine(spec: Self.gated())
        #expect(machine.handle(trigger.event(Self.gated(), at: t0)).effects.filter { $0 != .persist } == [.checkGates([Self.gate])])
        #expect(machine.state == .waiting)
        #expect(machine.record.process == nil)
    }

    @Test("a failed check keeps the start held, says why once, and checks again a second later")
    func heldUntilPassing() {
        var machine = ServiceMachine(spec: Self.gated())
        _ = machine.handle(.applied(Self.gated(), at: t0))
        let why = "no passing instance of job-config in Consul (http://127.0.0.1:18500)"
        let first = machine.handle(.gatesChecked(failure: why, at: t0 + 1))
        #expect(first.reports == [.waiting(for: ["job-config"], reason: why)])
        #expect(first.effects == [.scheduleTimer(at: t0 + 2), .persist])
        #expect(machine.record.waiting == GateWait(since: t0 + 1, reason: why))

        #expect(machine.handle(.timerFired(at: t0 + 2)) == [.checkGates([Self.gate])])
        let again = machine.handle(.gatesChecked(failure: why, at: t0 + 2.5))
        #expect(again == [.scheduleTimer(at: t0 + 3.5)], "the same reason is neither logged nor saved again")

        let passed = machine.handle(.gatesChecked(failure: nil, at: t0 + 4))
        #expect(passed.reports == [.gatesPassed(afterSeconds: 3)])
        #expect(passed.effects == [.spawn(.start), .persist])
        _ = machine.handle(.spawned(pid: Fixture.pid, startTicks: Fixture.startTicks, release: "r1", at: t0 + 4))
        #expect(machine.state == .running)
        #expect(machine.record.waiting == nil)
        #expect(machine.record.restarts == 0)
    }

    @Test("a restart after a crash is held too, and counts as a restart once it starts")
    func backoffRestartHeld() {
        var machine = Fixture.running(Self.gated())
        _ = machine.handle(.exited(.exited(1), at: t0 + 30))
        #expect(machine.state == .backoff)
        #expect(machine.handle(.timerFired(at: t0 + 31)) == [.checkGates([Self.gate]), .persist])
        #expect(machine.state == .waiting)
        #expect(machine.record.nextRestartAt == nil)
        let actions = machine.handle(.gatesChecked(failure: nil, at: t0 + 32))
        #expect(actions.effects == [.spawn(.restart), .persist])
        _ = machine.handle(.spawned(pid: 5000, startTicks: 1, release: "r1", at: t0 + 32))
        #expect(machine.record.restarts == 1)
    }

    @Test("a stop, a stopped apply or a prune drops a held start; a late answer then starts nothing")
    func heldStartDropped() {
        for drop in [ServiceEvent.stopRequested(timeoutSeconds: nil, at: t0 + 1),
                     .applied(Self.gated(desired: .stopped), at: t0 + 1)] {
            var machine = ServiceMachine(spec: Self.gated())
            _ = machine.handle(.applied(Self.gated(), at: t0))
            _ = machine.handle(drop)
            #expect(machine.state == .stopped)
            #expect(machine.pendingSpawn == nil)
            #expect(machine.handle(.gatesChecked(failure: nil, at: t0 + 2)).isEmpty)
            #expect(machine.handle(.timerFired(at: t0 + 3)).isEmpty)
        }
        var pruned = ServiceMachine(spec: Self.gated())
        _ = pruned.handle(.applied(Self.gated(), at: t0))
        #expect(pruned.handle(.pruned(at: t0 + 1)).contains(.forget))
    }

    @Test("an operator's start while held asks nothing more")
    func startWhileHeld() {
        var machine = ServiceMachine(spec: Self.gated())
        _ = machine.handle(.applied(Self.gated(), at: t0))
        #expect(machine.handle(.startRequested).effects.filter { $0 != .persist }.isEmpty)
        #expect(machine.handle(.restartRequested(timeoutSeconds: nil, at: t0)).effects.filter { $0 != .persist }.isEmpty)
        #expect(machine.state == .waiting)
    }

    @Test("a new agent holds a held start again, keeping since when")
    func heldAcrossAgentRestart() throws {
        var machine = ServiceMachine(spec: Self.gated())
        _ = machine.handle(.applied(Self.gated(), at: t0))
        _ = machine.handle(.gatesChecked(failure: "no job-config", at: t0 + 1))
        var next = try Fixture.saved(machine)
        #expect(next.state == .waiting)
        let actions = next.handle(.agentStarted(liveStartTicks: nil, rebooted: true, at: t0 + 60))
        #expect(actions.effects.filter { $0 != .persist } == [.checkGates([Self.gate])])
        #expect(next.record.waiting?.since == t0 + 1)
    }

    @Test("after a reboot the recorded process is gone: held without counting a failure or a restart")
    func rebootHeld() throws {
        let machine = Fixture.running(Self.gated())
        var next = try Fixture.saved(machine)
        let actions = next.handle(.agentStarted(liveStartTicks: nil, rebooted: true, at: t0 + 600))
        #expect(actions.reports.contains(.hostRebooted))
        #expect(actions.effects.filter { $0 != .persist } == [.checkGates([Self.gate])])
        #expect(next.record.failures == FailureHistory())
        let started = next.handle(.gatesChecked(failure: nil, at: t0 + 601))
        #expect(started.effects.filter { $0 != .persist } == [.spawn(.start)])
        _ = next.handle(.spawned(pid: 7, startTicks: 2, release: "r1", at: t0 + 601))
        #expect(next.record.restarts == 0)
    }

    @Test("an apply that removes the gates lets the held start go at the next check")
    func gatesRemoved() {
        var machine = ServiceMachine(spec: Self.gated())
        _ = machine.handle(.applied(Self.gated(), at: t0))
        _ = machine.handle(.gatesChecked(failure: "no job-config", at: t0 + 1))
        _ = machine.handle(.applied(Fixture.spec(), at: t0 + 1.5))
        #expect(machine.handle(.timerFired(at: t0 + 2)).effects == [.spawn(.start), .persist])
    }
}

@Suite("Start gates: Consul's answer")
struct ConsulHealthTests {
    let consul = ConsulEndpoint(scheme: "http", port: 18500)

    func answer(_ body: String) -> [UInt8] {
        Array("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n\(body)".utf8)
    }

    @Test("a passing instance opens the gate; none, an error status or garbage keeps it shut, saying why")
    func verdicts() {
        let one = #"[{"Node":{"Node":"h1"},"Service":{"ID":"job-config-1","Service":"job-config","Port":10500},"Checks":[]}]"#
        #expect(ConsulHealth.verdict(answer(one), service: "job-config", consul: consul) == nil)
        #expect(ConsulHealth.verdict(answer("[]"), service: "job-config", consul: consul)
                == "no passing instance of job-config in Consul (http://127.0.0.1:18500)")
        #expect(ConsulHealth.verdict(Array("HTTP/1.1 500 Internal\r\n\r\n".utf8), service: "job-config", consul: consul)
                == "Consul at http://127.0.0.1:18500 answered 500")
        #expect(ConsulHealth.verdict(answer("<html>"), service: "job-config", consul: consul)
                == "Consul at http://127.0.0.1:18500 gave an answer that is not a list of instances")
    }

    @Test("nothing listening is a reason, not a pass")
    func nobodyHome() {
        let reason = ConsulHealth.passing("job-config", at: ConsulEndpoint(scheme: "http", port: 1), timeout: 1)
        #expect(reason?.hasPrefix("Consul at http://127.0.0.1:1: ") == true)
    }
}
