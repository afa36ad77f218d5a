import Foundation
import Shared
@testable import Controller

/// A host's deployment lease as its agent keeps it, in memory: one owner at a time, a token
/// that grows with every acquisition, refusals that carry the holder. Leases never lapse here.
final class FakeLeaseBook: @unchecked Sendable {
    private let lock = NSLock()
    private var current: LeaseInfo?
    private var lastToken: UInt64
    private var log: [LeaseRequest] = []
    private var breakage: (any Error)?

    /// A book whose first lease gets `firstToken`.
    init(firstToken: UInt64 = 1) { lastToken = firstToken - 1 }

    /// The lease held now.
    var held: LeaseInfo? { lock.withLock { current } }
    /// Every request received, in order.
    var requests: [LeaseRequest] { lock.withLock { log } }
    /// When set, every request fails with it, as over a broken connection.
    var failure: (any Error)? {
        get { lock.withLock { breakage } }
        set { lock.withLock { breakage = newValue } }
    }

    /// Makes `owner` the holder, as another controller would have.
    @discardableResult
    func seed(owner: String) -> LeaseInfo {
        lock.withLock { grant(to: owner) }
    }

    /// Carries out `request` the way the agent does; a refusal is thrown as the controller's
    /// channel throws the agent's errors.
    func handle(_ request: LeaseRequest, host: String) throws -> LeaseResult {
        try lock.withLock {
            log.append(request)
            if let breakage { throw breakage }
            switch request.action {
            case .acquire:
                if let current, current.owner != request.owner { throw refusal(.leaseHeld, host: host) }
                return LeaseResult(lease: current ?? grant(to: request.owner))
            case .renew, .release:
                guard let current, current.owner == request.owner, request.token.map({ $0 == current.token }) ?? true else {
                    throw refusal(.leaseNotHeld, host: host)
                }
                if request.action == .release { self.current = nil }
                return LeaseResult(lease: self.current)
            }
        }
    }

    private func grant(to owner: String) -> LeaseInfo {
        lastToken += 1
        let now = Date()
        current = LeaseInfo(owner: owner, token: lastToken, acquiredAt: now, expiresAt: now.addingTimeInterval(120))
        return current!
    }

    private func refusal(_ code: AgentErrorCode, host: String) -> HostFailure {
        let message = current.map { "the host is leased by \($0.owner)" } ?? "no lease is held"
        return HostFailure(host: host, message: message, agent: AgentFailure(code, message, lease: current))
    }
}
