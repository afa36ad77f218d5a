#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `lease` parameters: the per-host lock that keeps two operators from deploying at once.
public struct LeaseRequest: Codable, Sendable, Equatable {
    /// What to do with the lease.
    public enum Action: String, Codable, Sendable {
        /// Take the lease if free or expired (or already ours: then it is renewed).
        case acquire
        /// Extend our lease.
        case renew
        /// Give our lease up.
        case release
    }
    /// What to do.
    public var action: Action
    /// Who asks, e.g. `alice@bastion-1 deploy 42`: shown to anyone refused.
    public var owner: String
    /// Lifetime from now for acquire and renew (default 300 s).
    public var ttlSeconds: Double
    /// The fencing token held, for renew and release (checked when given).
    public var token: UInt64?

    /// A lease request.
    public init(action: Action, owner: String, ttlSeconds: Double = 300, token: UInt64? = nil) {
        self.action = action
        self.owner = owner
        self.ttlSeconds = ttlSeconds
        self.token = token
    }

    enum CodingKeys: String, CodingKey { case action, owner, ttlSeconds, token }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        action = try c.decode(Action.self, forKey: .action)
        owner = try c.decode(String.self, forKey: .owner)
        ttlSeconds = try c.decodeIfPresent(Double.self, forKey: .ttlSeconds) ?? 300
        token = try c.decodeIfPresent(UInt64.self, forKey: .token)
    }
}

/// A held lease.
public struct LeaseInfo: Codable, Sendable, Equatable {
    /// Who holds it.
    public var owner: String
    /// Fencing token: grows with every new acquisition, never reused on this host.
    public var token: UInt64
    /// When it was acquired.
    public var acquiredAt: Date
    /// When it lapses unless renewed.
    public var expiresAt: Date
    /// Builds lease info.
    public init(owner: String, token: UInt64, acquiredAt: Date, expiresAt: Date) {
        self.owner = owner
        self.token = token
        self.acquiredAt = acquiredAt
        self.expiresAt = expiresAt
    }
}

/// `lease` result: the lease after the action (nil after a release).
public struct LeaseResult: Codable, Sendable, Equatable {
    /// The lease now held by the caller, or nil when released.
    public var lease: LeaseInfo?
    /// Builds a lease result.
    public init(lease: LeaseInfo?) { self.lease = lease }
}
