/// Why the agent refused or could not carry out a request. Travels as the `error` of a response.
public struct AgentFailure: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    /// Machine-readable reason; see ``AgentErrorCode``.
    public var code: AgentErrorCode
    /// What went wrong and what to do, for the operator.
    public var message: String
    /// The service concerned, when there is one.
    public var service: String?
    /// The lease currently held, for `lease_held` and `stale_fence`.
    public var lease: LeaseInfo?

    /// A failure with its code and message.
    public init(_ code: AgentErrorCode, _ message: String, service: String? = nil, lease: LeaseInfo? = nil) {
        self.code = code
        self.message = message
        self.service = service
        self.lease = lease
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// Error codes. A string on the wire, open-ended so that a newer agent's codes still decode.
public struct AgentErrorCode: RawRepresentable, Codable, Sendable, Hashable {
    /// The wire value.
    public var rawValue: String
    /// Wraps a wire value.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The line was not a JSON object.
    public static let malformed = AgentErrorCode(rawValue: "malformed")
    /// The JSON was valid but a field is missing, of the wrong type or out of range.
    public static let badRequest = AgentErrorCode(rawValue: "bad_request")
    /// `method` names no operation this agent knows.
    public static let unknownMethod = AgentErrorCode(rawValue: "unknown_method")
    /// `v` is a protocol version this agent does not speak.
    public static let unsupportedVersion = AgentErrorCode(rawValue: "unsupported_version")
    /// The service is not in the desired set (apply it first).
    public static let unknownService = AgentErrorCode(rawValue: "unknown_service")
    /// A name or path is unsafe (`..`, `/`, shell metacharacters).
    public static let invalidName = AgentErrorCode(rawValue: "invalid_name")
    /// A release, log or file the request names does not exist.
    public static let notFound = AgentErrorCode(rawValue: "not_found")
    /// Another owner holds the lease.
    public static let leaseHeld = AgentErrorCode(rawValue: "lease_held")
    /// The caller does not hold the lease it tries to renew or release.
    public static let leaseNotHeld = AgentErrorCode(rawValue: "lease_not_held")
    /// The request's fencing token is not the current lease's.
    public static let staleFence = AgentErrorCode(rawValue: "stale_fence")
    /// A changing request came without a fencing token: every change needs the lease.
    public static let fenceRequired = AgentErrorCode(rawValue: "fence_required")
    /// Starting a process failed (missing program, bad working directory, ...).
    public static let spawnFailed = AgentErrorCode(rawValue: "spawn_failed")
    /// A file operation failed on the host.
    public static let io = AgentErrorCode(rawValue: "io_error")
    /// The agent is shutting down.
    public static let unavailable = AgentErrorCode(rawValue: "unavailable")
}
