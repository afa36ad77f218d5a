import Foundation
import Shared
import Testing
@testable import Controller

@Suite("Fleet session")
struct FleetSessionTests {
    let fleet: LoadedFleet
    let hosts: [FakeFleetHost]

    init() throws {
        let fixture = try PlanningFixture()
        let manifest = try fixture.manifest(PlanningFixture.placement)
        fleet = LoadedFleet(input: LoadedManifest(manifest: manifest, hostNames: nil), catalog: fixture.catalog,
                            desired: try fixture.desired(), checksums: ChecksumCache())
        let recorder = FakeRecorder()
        hosts = manifest.hosts.enumerated().map { index, host in
            FakeFleetHost(host: host, recorder: recorder, leases: FakeLeaseBook(firstToken: UInt64(10 * (index + 1))))
        }
    }

    /// Runs `body` in a session on every host, those in `unreachable` failing to connect.
    func session<T>(lease: SessionLease = .none, unreachable: Set<String> = [],
                    _ body: (FleetSession<FakeFleetHost>) async throws -> T) async throws -> T {
        try await withFleetSession(fleet, hosts: fleet.manifest.hosts, lease: lease,
                                   connector: FakeConnector(hosts: hosts, unreachable: unreachable), warn: { _ in }, body)
    }

    var ours: String { LeaseHolder.owner(command: "deploy", fleet: "test") }

    @Test("a session holds the hosts it reached, lists those it did not, and closes every connection when its body returns")
    func returns() async throws {
        let value = try await session(unreachable: ["h2"]) { session in
            #expect(session.hosts.keys.sorted() == ["h1", "h3"])
            #expect(session.unreachable.keys.sorted() == ["h2"])
            #expect(session.lease == nil)
            #expect(!hosts.contains { $0.closed })
            return 42
        }
        #expect(value == 42)
        #expect(hosts[0].closed && hosts[2].closed)
        #expect(hosts.allSatisfy { $0.leases.requests.isEmpty }, "a session without a lease asked for one")
    }

    @Test("with the lease, every reached host is leased and fenced for the body, then released and closed")
    func leased() async throws {
        try await session(lease: .take(command: "deploy"), unreachable: ["h3"]) { session in
            for host in [hosts[0], hosts[1]] {
                let lease = try #require(host.leases.held, "\(host.host.name)")
                #expect(lease.owner == ours)
                #expect(host.fence == lease.token)
            }
            #expect(hosts[2].leases.requests.isEmpty, "an unreachable host was asked")
        }
        for host in hosts {
            #expect(host.leases.held == nil && host.fence == nil, "\(host.host.name)")
        }
        #expect(hosts[0].closed && hosts[1].closed)
    }

    @Test("a body that throws still gives the lease back and closes every connection; its error comes out")
    func throwing() async throws {
        await #expect(throws: CommandFailure.self) {
            try await session(lease: .take(command: "deploy")) { _ in throw CommandFailure(message: "health gate failed") }
        }
        #expect(hosts.allSatisfy { $0.leases.held == nil && $0.fence == nil && $0.closed })
    }

    @Test("a refused lease closes every connection and throws LeaseHeld before the body runs")
    func refused() async throws {
        let alice = hosts[2].leases.seed(owner: "alice@bastion-2 manual")
        var ran = false
        let error = try #require(await #expect(throws: LeaseHeld.self) {
            try await session(lease: .take(command: "deploy")) { _ in ran = true }
        })
        #expect(error.holder == alice)
        #expect(!ran)
        #expect(hosts.allSatisfy { $0.closed })
        #expect(hosts[0].leases.held == nil && hosts[1].leases.held == nil)
        #expect(hosts[2].leases.held == alice)
    }

    @Test("a cancelled command still gives its leases back and closes every connection")
    func cancelled() async throws {
        let (started, entered) = AsyncStream<Void>.makeStream()
        let command = Task {
            try await session(lease: .take(command: "deploy")) { _ in
                entered.yield()
                try await Task.sleep(for: .seconds(3600))
            }
        }
        for await _ in started { break }
        command.cancel()
        await #expect(throws: CancellationError.self) { try await command.value }
        #expect(hosts.allSatisfy { $0.leases.held == nil && $0.fence == nil && $0.closed })
    }
}

/// Opens scripted hosts; those named in `unreachable` fail as a host that refuses connections.
struct FakeConnector: FleetHostConnecting {
    let hosts: [FakeFleetHost]
    var unreachable: Set<String> = []

    func connect(_ wanted: [FleetManifest.Host]?) async -> [String: Result<FakeFleetHost, any Error>] {
        var results: [String: Result<FakeFleetHost, any Error>] = [:]
        for host in hosts where wanted?.contains(where: { $0.name == host.host.name }) ?? true {
            results[host.host.name] = unreachable.contains(host.host.name)
                ? .failure(HostFailure(host: host.host.label, message: "connection refused"))
                : .success(host)
        }
        return results
    }
}
