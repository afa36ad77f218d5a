import Foundation
import Shared

/// Holds the per-host deployment lease for the length of a command: acquired on every host
/// first (all or none), renewed in the background, released at the end. Its fencing token goes
/// with every changing request, so an operator whose lease lapsed cannot act.
final class LeaseHolder: @unchecked Sendable {
    let hosts: [any FleetHost]
    let owner: String
    /// Seconds a lease lasts unless renewed.
    let ttl: Double
    /// How often held leases are renewed; well inside `ttl`, so one missed renewal does no harm.
    let renewInterval: Duration
    /// This process's run, against which holders found on hosts are checked for takeover.
    let run: ControllerRun
    /// Tells the operator what happened to a lease without stopping the command.
    private let warn: @Sendable (String) -> Void
    /// Hears every lease taken, given back or taken over (the journal records them).
    private let record: @Sendable (LeaseEvent) -> Void
    private let lock = NSLock()
    private var tokens: [String: UInt64] = [:]
    private var renewal: Task<Void, Never>?

    init(hosts: [any FleetHost], owner: String, ttl: Double = 120, renewInterval: Duration = .seconds(30),
         run: ControllerRun = .current, warn: @escaping @Sendable (String) -> Void,
         record: @escaping @Sendable (LeaseEvent) -> Void = { _ in }) {
        self.hosts = hosts
        self.record = record
        self.run = run
        self.owner = owner
        self.ttl = ttl
        self.renewInterval = renewInterval
        self.warn = warn
    }

    /// The owner a command's leases carry: who, which command, which fleet, the pid for people
    /// to read, and the run (token and boot id) that tells a later run on this machine whether
    /// the holder still runs (see `ControllerRun`).
    static func owner(command: String, fleet: String, run: ControllerRun = .current) -> String {
        run.register()
        return "\(OperatorName.current) jobfleet \(command) \(fleet) pid \(getpid()) \(run.label)"
    }

    /// Takes the lease on every host, or on none: on refusal the leases already taken are given
    /// back and the first refusal is thrown (`LeaseHeld` names the holder).
    func acquire() async throws {
        var refusal: (any Error)?
        for answer in await askEveryHost() {
            do {
                let lease = try await granted(answer)
                lock.withLock { tokens[answer.host.host.name] = lease.token }
                record(.taken(host: answer.host.host.name, lease: lease))
                await answer.host.useFence(lease.token)
            } catch {
                refusal = refusal ?? error
            }
        }
        if let refusal {
            await release()
            throw refusal
        }
        run.touch()
        let renewal = Task { [weak self, renewInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: renewInterval)
                guard let self, !Task.isCancelled else { return }
                await self.renew()
            }
        }
        lock.withLock { self.renewal = renewal }
    }

    /// True when `owner` names a jobfleet run of this machine and state directory that has
    /// ended: a controller killed mid-deploy. Its lease can be taken over at once instead of
    /// making the operator wait for it to lapse. A name and a pid prove nothing (another machine
    /// may report the same ones), so only the run's lock file decides.
    static func holderIsGone(_ owner: String, run: ControllerRun = .current) -> Bool {
        run.hasEnded(owner)
    }

    /// Gives every held lease back and stops sending fences. Calling it twice is harmless.
    func release() async {
        let (held, renewal) = lock.withLock {
            defer { (tokens, self.renewal) = ([:], nil) }
            return (tokens, self.renewal)
        }
        // Waited for, so no renewal reaches a host after its lease was given back.
        renewal?.cancel()
        await renewal?.value
        await forEachHeld(held) { host, token in
            // One not given back (the host went away) lapses at its expiry; the journal then
            // shows it as never released.
            if (try? await host.lease(LeaseRequest(action: .release, owner: self.owner, token: token))) != nil {
                self.record(.released(host: host.host.name, token: token, at: Date()))
            }
            await host.useFence(nil)
        }
    }

    private func renew() async {
        run.touch()
        await forEachHeld(lock.withLock { tokens }) { host, token in
            do {
                _ = try await host.lease(LeaseRequest(action: .renew, owner: self.owner, ttlSeconds: self.ttl, token: token))
            } catch {
                self.warn("\(host.host.label): could not renew the deployment lease: \(error)")
            }
        }
    }

    /// Runs `work` in parallel for each host whose lease is in `held`.
    private func forEachHeld(_ held: [String: UInt64],
                             _ work: @escaping @Sendable (any FleetHost, UInt64) async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            for host in hosts {
                guard let token = held[host.host.name] else { continue }
                group.addTask { await work(host, token) }
            }
        }
    }

    /// Every host's answer to an acquire request, asked in parallel.
    private func askEveryHost() async -> [Answer] {
        await withTaskGroup(of: Answer.self) { group in
            for host in hosts {
                group.addTask {
                    do {
                        let result = try await host.lease(LeaseRequest(action: .acquire, owner: self.owner, ttlSeconds: self.ttl))
                        return Answer(host: host, lease: result.lease)
                    } catch {
                        return Answer(host: host, error: error)
                    }
                }
            }
            var all: [Answer] = []
            for await answer in group { all.append(answer) }
            return all
        }
    }

    /// The lease `answer` granted, or one taken over from a holder that no longer runs; throws
    /// why there is none.
    private func granted(_ answer: Answer) async throws -> LeaseInfo {
        if let lease = answer.lease { return lease }
        guard let error = answer.error else { throw LeaseHeld(host: answer.host.host.label, holder: nil) }
        guard let failure = error as? HostFailure, failure.agent?.code == .leaseHeld else { throw error }
        if let holder = failure.agent?.lease, Self.holderIsGone(holder.owner, run: run),
           let taken = try? await takeOver(answer.host, from: holder) {
            return taken
        }
        throw LeaseHeld(host: answer.host.host.label, holder: failure.agent?.lease)
    }

    private func takeOver(_ host: any FleetHost, from holder: LeaseInfo) async throws -> LeaseInfo? {
        _ = try await host.lease(LeaseRequest(action: .release, owner: holder.owner, token: holder.token))
        warn("\(host.host.label): took over the lease of \(holder.owner), which no longer runs")
        record(.takenOver(host: host.host.name, holder: holder, by: owner, at: Date()))
        return try await host.lease(LeaseRequest(action: .acquire, owner: owner, ttlSeconds: ttl)).lease
    }

    /// One host's answer to a lease request. A plain struct as the task group's child result,
    /// as with status answers.
    private struct Answer: Sendable {
        var host: any FleetHost
        var lease: LeaseInfo?
        var error: (any Error)?
    }
}
