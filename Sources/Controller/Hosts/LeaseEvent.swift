import Foundation
import Shared

/// What happened to a deployment lease, as the lease holder tells the journal.
public enum LeaseEvent: Sendable, Equatable {
    /// An agent granted `lease` on `host`.
    case taken(host: String, lease: LeaseInfo)
    /// The lease with `token` on `host` was given back at `at`.
    case released(host: String, token: UInt64, at: Date)
    /// `holder`, whose run had ended, lost its lease on `host` to `owner`.
    case takenOver(host: String, holder: LeaseInfo, by: String, at: Date)
}
