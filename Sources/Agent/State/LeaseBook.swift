import FoundationEssentials
import Shared

/// The host's deployment lease: one owner at a time, with an expiry and a fencing token that
/// grows with every new acquisition. Pure: the clock comes in as an argument.
struct LeaseBook: Codable, Equatable {
    /// The lease, possibly expired.
    private(set) var current: LeaseInfo?
    /// The last token handed out; never reused, persisted with the agent state.
    private(set) var lastToken: UInt64 = 0

    /// The lease if it is still valid at `now`.
    func active(at now: Date) -> LeaseInfo? {
        guard let current, current.expiresAt > now else { return nil }
        return current
    }

    /// Carries out `request` at `now`.
    mutating func handle(_ request: LeaseRequest, now: Date) throws(AgentFailure) -> LeaseInfo? {
        guard !request.owner.trimmed.isEmpty else { throw AgentFailure(.badRequest, "lease owner must not be empty") }
        guard request.ttlSeconds > 0, request.ttlSeconds <= 86400 else {
            throw AgentFailure(.badRequest, "lease ttlSeconds must be between 0 and 86400, got \(request.ttlSeconds)")
        }
        let expiry = now.addingTimeInterval(request.ttlSeconds)
        let held = active(at: now)
        switch request.action {
        case .acquire:
            if let held {
                guard held.owner == request.owner else { throw refusal(held) }
                current?.expiresAt = expiry
                return current
            }
            lastToken += 1
            current = LeaseInfo(owner: request.owner, token: lastToken, acquiredAt: now, expiresAt: expiry)
            return current
        case .renew:
            let lease = try owned(held, by: request)
            current = LeaseInfo(owner: lease.owner, token: lease.token, acquiredAt: lease.acquiredAt, expiresAt: expiry)
            return current
        case .release:
            _ = try owned(held, by: request)
            current = nil
            return nil
        }
    }

    /// Refuses a changing request whose fencing token is not the valid lease's.
    func check(fence: UInt64, now: Date) throws(AgentFailure) {
        guard let held = active(at: now) else {
            throw AgentFailure(.staleFence, "fencing token \(fence) is stale: no lease is held (it expired or was released); acquire it again")
        }
        guard held.token == fence else {
            throw AgentFailure(.staleFence, "fencing token \(fence) is stale: the lease is held by \(held.owner) with token \(held.token)", lease: held)
        }
    }

    private func owned(_ held: LeaseInfo?, by request: LeaseRequest) throws(AgentFailure) -> LeaseInfo {
        guard let held else {
            throw AgentFailure(.leaseNotHeld, "\(request.owner) holds no lease on this host (it expired or was never acquired); acquire it")
        }
        guard held.owner == request.owner else { throw refusal(held) }
        if let token = request.token, token != held.token {
            throw AgentFailure(.leaseNotHeld, "token \(token) is not the current lease's (\(held.token))", lease: held)
        }
        return held
    }

    private func refusal(_ held: LeaseInfo) -> AgentFailure {
        AgentFailure(.leaseHeld, "the host is leased by \(held.owner) until \(held.expiresAt) (token \(held.token)); wait for it to finish or expire",
                     lease: held)
    }
}
