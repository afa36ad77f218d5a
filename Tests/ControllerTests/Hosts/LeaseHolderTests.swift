import Foundation
import Shared
import Testing
@testable import Controller

@Suite("Lease holder")
struct LeaseHolderTests {
    /// Hosts h1…h3 whose lease books hand out tokens from 10, 20 and 30, so each host's token
    /// is its own.
    let hosts: [FakeFleetHost]
    let warnings = Notes()
    /// This test's run, with its lock files in a directory of its own.
    let run: ControllerRun

    init() throws {
        let manifest = try FleetManifest.parse(yaml: """
            name: test
            hosts:
              - { name: h1, address: 10.9.0.1 }
              - { name: h2, address: 10.9.0.2 }
              - { name: h3, address: 10.9.0.3 }
            """, path: "/nonexistent/fleet.yaml")
        let recorder = FakeRecorder()
        hosts = manifest.hosts.enumerated().map { index, host in
            FakeFleetHost(host: host, recorder: recorder, leases: FakeLeaseBook(firstToken: UInt64(10 * (index + 1))))
        }
        run = ControllerRun(directory: Self.runsDirectory())
    }

    static func runsDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-runs-\(UUID().uuidString)").path
    }

    /// The owner of a run that ended on this machine: its lock file is in `run`'s directory and
    /// nobody holds its lock, as the kernel leaves it when a process dies.
    func endedRunOwner(command: String = "deploy") throws -> String {
        let token = String(repeating: "ab", count: 16)
        try PrivateFiles.makeDirectory(run.directory)
        #expect(FileManager.default.createFile(atPath: "\(run.directory)/\(token).lock", contents: Data("pid 1\n".utf8)))
        return "\(OperatorName.current) jobfleet \(command) test pid \(Self.deadPid) run \(token)@00000000"
    }

    func holder(renewInterval: Duration = .seconds(3600)) -> LeaseHolder {
        let warnings = warnings
        return LeaseHolder(hosts: hosts, owner: LeaseHolder.owner(command: "deploy", fleet: "test", run: run),
                           renewInterval: renewInterval, run: run, warn: { warnings.add($0) })
    }

    /// A pid above the kernel's largest (2^22), so no process has it.
    static let deadPid = 99_999_999

    @Test("takes the lease on every host, hands each host its own token as the fence, and gives all back")
    func acquireAndRelease() async throws {
        let holder = holder()
        try await holder.acquire()
        for (index, host) in hosts.enumerated() {
            let lease = try #require(host.leases.held, "\(host.host.name)")
            #expect(lease.owner == holder.owner)
            #expect(lease.token == UInt64(10 * (index + 1)))
            #expect(host.fence == lease.token)
        }
        await holder.release()
        for host in hosts {
            #expect(host.leases.held == nil)
            #expect(host.fence == nil)
            #expect(host.leases.requests.map(\.action) == [.acquire, .release])
        }
        await holder.release()
        #expect(hosts.allSatisfy { $0.leases.requests.count == 2 }, "a second release asks nothing")
    }

    @Test("every lease taken, taken over and given back is reported for the journal")
    func reportsLeaseEvents() async throws {
        let dead = try endedRunOwner()
        let stale = hosts[1].leases.seed(owner: dead)
        let events = Events()
        let holder = LeaseHolder(hosts: hosts, owner: LeaseHolder.owner(command: "deploy", fleet: "test", run: run),
                                 run: run, warn: { _ in }, record: { events.add($0) })
        try await holder.acquire()
        let taken = events.all.compactMap { if case let .taken(host, lease) = $0 { (host, lease) } else { nil } }
        #expect(Set(taken.map(\.0)) == ["h1", "h2", "h3"])
        #expect(taken.allSatisfy { $0.1.owner == holder.owner })
        #expect(events.all.contains { if case let .takenOver("h2", holder: old, by: owner, at: _) = $0 { old == stale && owner == holder.owner } else { false } })
        await holder.release()
        let released = events.all.compactMap { if case let .released(host, token, _) = $0 { "\(host):\(token)" } else { nil } }
        #expect(Set(released) == Set(taken.map { "\($0.0):\($0.1.token)" }))
    }

    final class Events: @unchecked Sendable {
        private let lock = NSLock()
        private var events: [LeaseEvent] = []
        func add(_ event: LeaseEvent) { lock.withLock { events.append(event) } }
        var all: [LeaseEvent] { lock.withLock { events } }
    }

    @Test("another operator's lease on one host refuses the whole fleet, naming the holder; no lease is kept")
    func refusedByAnotherOperator() async throws {
        let alice = hosts[1].leases.seed(owner: "alice@bastion-2 manual")
        let error = try #require(await #expect(throws: LeaseHeld.self) { try await holder().acquire() })
        #expect(error.host == hosts[1].host.label)
        #expect(error.holder == alice)
        #expect(error.description.contains("held by alice@bastion-2 manual until"))
        #expect(hosts[1].leases.held == alice)
        for host in [hosts[0], hosts[2]] {
            #expect(host.leases.held == nil, "\(host.host.name) kept its lease")
            #expect(host.fence == nil)
            #expect(host.leases.requests.map(\.action) == [.acquire, .release])
        }
    }

    @Test("a jobfleet on this machine that still runs keeps its lease")
    func refusedByLiveLocalController() async throws {
        let other = ControllerRun(directory: run.directory)
        let live = hosts[0].leases.seed(owner: LeaseHolder.owner(command: "rollback", fleet: "prod", run: other))
        let error = try #require(await #expect(throws: LeaseHeld.self) { try await holder().acquire() })
        #expect(error.holder == live)
        #expect(hosts[0].leases.held == live)
        #expect(warnings.all.isEmpty)
    }

    @Test("a lease whose holder is a jobfleet on this machine that no longer runs is taken over, with a warning")
    func takesOverFromDeadController() async throws {
        let dead = try endedRunOwner()
        let stale = hosts[0].leases.seed(owner: dead)
        let alsoStale = hosts[2].leases.seed(owner: dead)
        let holder = holder()
        try await holder.acquire()
        let lease = try #require(hosts[0].leases.held)
        #expect(lease.owner == holder.owner)
        #expect(lease.token > stale.token)
        #expect(hosts[0].fence == lease.token)
        #expect(hosts[0].leases.requests.map(\.action) == [.acquire, .release, .acquire])
        #expect(hosts[0].leases.requests[1].owner == dead && hosts[0].leases.requests[1].token == stale.token)
        #expect(hosts[2].leases.held?.owner == holder.owner)
        #expect(hosts[2].leases.held.map { $0.token > alsoStale.token } == true, "the same ended run is taken over on every host")
        #expect(Set(warnings.all) == Set([0, 2].map { "\(hosts[$0].host.label): took over the lease of \(dead), which no longer runs" }))
        await holder.release()
    }

    @Test("a host that cannot answer fails the acquisition with its own error; the others give their leases back")
    func hostFailure() async throws {
        hosts[2].leases.failure = HostFailure(host: hosts[2].host.label, message: "the agent closed the connection during lease")
        let error = try #require(await #expect(throws: HostFailure.self) { try await holder().acquire() })
        #expect(error.message == "the agent closed the connection during lease")
        #expect(hosts.allSatisfy { $0.leases.held == nil && $0.fence == nil })
    }

    @Test("held leases are renewed with their own tokens at the interval, until released")
    func renewal() async throws {
        let holder = holder(renewInterval: .milliseconds(5))
        try await holder.acquire()
        let tokens = hosts.map { $0.leases.held?.token }
        try await waitUntil { hosts.allSatisfy { $0.leases.requests.filter { $0.action == .renew }.count >= 2 } }
        await holder.release()
        for (host, token) in zip(hosts, tokens) {
            let renewals = host.leases.requests.filter { $0.action == .renew }
            #expect(renewals.allSatisfy { $0.token == token && $0.ttlSeconds == holder.ttl && $0.owner == holder.owner })
            #expect(host.leases.requests.last?.action == .release, "renewed after release: \(host.leases.requests)")
        }
    }

    @Test("a renewal that fails is reported and renewal carries on")
    func failedRenewal() async throws {
        let holder = holder(renewInterval: .milliseconds(5))
        try await holder.acquire()
        hosts[1].leases.failure = HostFailure(host: hosts[1].host.label, message: "timed out")
        try await waitUntil { !warnings.all.isEmpty }
        hosts[1].leases.failure = nil
        let renewed = hosts[1].leases.requests.count
        try await waitUntil { hosts[1].leases.requests.count > renewed }
        await holder.release()
        #expect(warnings.all.first == "\(hosts[1].host.label): could not renew the deployment lease: \(hosts[1].host.label): timed out")
        #expect(hosts[1].leases.held == nil)
    }

    @Test("a controller elsewhere with the same user@host and a pid that does not run here keeps its lease")
    func sameNameElsewhere() async throws {
        // A cloned bastion or a container with a fixed hostname: same name, a pid unknown here,
        // and a run whose lock file is not in this machine's state directory.
        let twin = "\(OperatorName.current) jobfleet deploy test pid \(Self.deadPid) run \(String(repeating: "c", count: 32))@00000000"
        let held = hosts[0].leases.seed(owner: twin)
        let error = try #require(await #expect(throws: LeaseHeld.self) { try await holder().acquire() })
        #expect(error.holder == held)
        #expect(hosts[0].leases.held == held)
        #expect(warnings.all.isEmpty)
        let legacy = "\(OperatorName.current) jobfleet deploy test pid \(Self.deadPid)"
        #expect(!LeaseHolder.holderIsGone(legacy, run: run), "an owner without a run token is never taken over")
    }

    @Test("only a run whose lock file is here and unlocked counts as gone; owners from hosts never name a path")
    func holderIsGone() throws {
        let dead = try endedRunOwner()
        let live = LeaseHolder.owner(command: "deploy", fleet: "prod", run: ControllerRun(directory: run.directory))
        #expect(!LeaseHolder.holderIsGone(live, run: run))
        #expect(!LeaseHolder.holderIsGone(LeaseHolder.owner(command: "deploy", fleet: "prod", run: run), run: run), "ourselves")
        #expect(LeaseHolder.holderIsGone(dead, run: run))
        #expect(LeaseHolder.holderIsGone(dead, run: run), "an ended run is recognised on every host that still names it")
        #expect(ControllerRun.token(in: "x run ../../../../etc/passwd@1") == nil)
        #expect(ControllerRun.token(in: "x run \(String(repeating: "A", count: 32))@1") == nil)
        #expect(!LeaseHolder.holderIsGone("\(OperatorName.current) manual", run: run))
    }

    @Test("a run that registers keeps the files of runs that ended recently, whose leases it may have to take over, and removes old ones")
    func pruning() throws {
        let recent = try endedRunOwner()
        let old = "\(run.directory)/\(String(repeating: "cd", count: 16)).lock"
        #expect(FileManager.default.createFile(atPath: old, contents: nil))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -2 * ControllerRun.keepEnded)],
                                              ofItemAtPath: old)
        ControllerRun(directory: run.directory).register()
        #expect(!FileManager.default.fileExists(atPath: old))
        #expect(LeaseHolder.holderIsGone(recent, run: run), "the recently ended run could not be recognised")
    }

    /// Polls `condition` every 2 ms; the bound only keeps a broken test from hanging.
    func waitUntil(_ condition: () -> Bool) async throws {
        let end = ContinuousClock.now + .seconds(180)
        while !condition() {
            try #require(ContinuousClock.now < end, "condition never held")
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

/// Lines a component wrote for the operator, collected.
final class Notes: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
