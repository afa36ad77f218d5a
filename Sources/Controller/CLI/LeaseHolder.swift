import Foundation
import Shared

/// Another operator holds a host's deployment lease.
struct LeaseHeld: Error, CustomStringConvertible {
    var host: String
    var holder: LeaseInfo?
    var description: String {
        guard let holder else { return "\(host): the deployment lease is held by another operator" }
        return "\(host): the deployment lease is held by \(holder.owner) until \(Format.rfc3339(holder.expiresAt)); "
            + "wait for it to finish, or for the lease to lapse"
    }
}

/// Holds the per-host deployment lease for the length of a command: acquired on every host
/// first (all or none), renewed in the background, released at the end. Its fencing token goes
/// with every changing request, so an operator whose lease lapsed cannot act.
final class LeaseHolder: @unchecked Sendable {
    let hosts: [SSHFleetHost]
    let owner: String
    let ttl: Double = 120
    private var tokens: [String: UInt64] = [:]
    private var renewal: Task<Void, Never>?
    private let lock = NSLock()

    init(hosts: [SSHFleetHost], owner: String) {
        self.hosts = hosts
        self.owner = owner
    }

    static func owner(command: String, fleet: String) -> String {
        return "\(OperatorName.current) jobfleet \(command) \(fleet) pid \(getpid())"
    }

    /// Takes the lease on every host, or on none: on refusal the leases already taken are given back.
    func acquire() async throws {
        let results = await withTaskGroup(of: (SSHFleetHost, Result<LeaseInfo?, any Error>).self) { group in
            for host in hosts {
                group.addTask {
                    do {
                        let result = try await host.lease(LeaseRequest(action: .acquire, owner: self.owner, ttlSeconds: self.ttl))
                        return (host, .success(result.lease))
                    } catch { return (host, .failure(error)) }
                }
            }
            var all: [(SSHFleetHost, Result<LeaseInfo?, any Error>)] = []
            for await item in group { all.append(item) }
            return all
        }
        var refusal: (any Error)?
        for (host, result) in results {
            switch result {
            case .success(let lease?):
                lock.withLock { tokens[host.host.name] = lease.token }
                await host.useFence(lease.token)
            case .success(nil):
                refusal = refusal ?? LeaseHeld(host: host.host.label, holder: nil)
            case .failure(let error as HostFailure) where error.agent?.code == .leaseHeld:
                if let holder = error.agent?.lease, Self.holderIsGone(holder.owner),
                   let taken = try? await takeOver(host, from: holder) {
                    lock.withLock { tokens[host.host.name] = taken.token }
                    await host.useFence(taken.token)
                    continue
                }
                refusal = refusal ?? LeaseHeld(host: host.host.label, holder: error.agent?.lease)
            case .failure(let error):
                refusal = refusal ?? error
            }
        }
        if let refusal {
            await release()
            throw refusal
        }
        renewal = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(30))
                guard let self, !Task.isCancelled else { return }
                await self.renew()
            }
        }
    }

    /// True when `owner` names a jobfleet process on this machine that no longer runs: a
    /// controller that was killed mid-deploy. Its lease can be taken over at once instead of
    /// making the operator wait for it to lapse.
    static func holderIsGone(_ owner: String) -> Bool {
        let words = owner.split(separator: " ")
        guard let who = words.first, who == Substring(OperatorName.current),
              words.count >= 2, words[words.count - 2] == "pid", let pid = Int32(words[words.count - 1]) else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    private func takeOver(_ host: SSHFleetHost, from holder: LeaseInfo) async throws -> LeaseInfo? {
        _ = try await host.lease(LeaseRequest(action: .release, owner: holder.owner, token: holder.token))
        Console.warn("\(host.host.label): took over the lease of \(holder.owner), which no longer runs")
        return try await host.lease(LeaseRequest(action: .acquire, owner: owner, ttlSeconds: ttl)).lease
    }

    private func renew() async {
        let held = lock.withLock { tokens }
        await withTaskGroup(of: Void.self) { group in
            for host in hosts {
                guard let token = held[host.host.name] else { continue }
                group.addTask {
                    do {
                        _ = try await host.lease(LeaseRequest(action: .renew, owner: self.owner, ttlSeconds: self.ttl, token: token))
                    } catch {
                        Console.warn("\(host.host.label): could not renew the deployment lease: \(error)")
                    }
                }
            }
        }
    }

    /// Gives every held lease back.
    func release() async {
        renewal?.cancel()
        let held = lock.withLock { tokens }
        await withTaskGroup(of: Void.self) { group in
            for host in hosts {
                guard let token = held[host.host.name] else { continue }
                group.addTask {
                    _ = try? await host.lease(LeaseRequest(action: .release, owner: self.owner, token: token))
                    await host.useFence(nil)
                }
            }
        }
        lock.withLock { tokens.removeAll() }
    }
}
