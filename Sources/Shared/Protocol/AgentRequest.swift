#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One request to the agent: `{"v":1,"id":"7","method":"stop","params":{...},"fence":12}`.
public struct AgentRequest: Codable, Sendable, Equatable {
    /// Protocol version the client speaks.
    public var v: Int
    /// Client-chosen identifier, echoed in the response.
    public var id: String
    /// What to do, with its parameters.
    public var body: Body
    /// Optional fencing token: when set on a changing request, the agent refuses it unless it
    /// is the token of the lease currently held, so a client whose lease expired cannot act.
    public var fence: UInt64?

    /// The method and its parameters.
    public enum Body: Sendable, Equatable {
        case hello(HelloRequest)
        case status(StatusRequest)
        case apply(ApplyRequest)
        case start(ControlRequest)
        case stop(ControlRequest)
        case restart(ControlRequest)
        case activate(ActivateRequest)
        case logs(LogsRequest)
        case lease(LeaseRequest)

        /// The wire name of this request's method.
        public var method: AgentMethod {
            switch self {
            case .hello: .hello
            case .status: .status
            case .apply: .apply
            case .start: .start
            case .stop: .stop
            case .restart: .restart
            case .activate: .activate
            case .logs: .logs
            case .lease: .lease
            }
        }

        /// True for requests that change what runs or what is installed (fencing applies).
        public var changesState: Bool {
            switch self {
            case .hello, .status, .logs, .lease: false
            case .apply, .start, .stop, .restart, .activate: true
            }
        }
    }

    /// A request in the current protocol version.
    public init(id: String, _ body: Body, fence: UInt64? = nil) {
        self.v = AgentProtocol.version
        self.id = id
        self.body = body
        self.fence = fence
    }

    enum CodingKeys: String, CodingKey { case v, id, method, params, fence }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        v = try c.decode(Int.self, forKey: .v)
        id = try c.decode(String.self, forKey: .id)
        fence = try c.decodeIfPresent(UInt64.self, forKey: .fence)
        let method = try c.decode(AgentMethod.self, forKey: .method)
        // Parameterless calls may omit `params`; an empty object means every default.
        func params<P: Decodable>(_: P.Type) throws -> P {
            if c.contains(.params) { return try c.decode(P.self, forKey: .params) }
            return try AgentProtocol.makeDecoder().decode(P.self, from: Data("{}".utf8))
        }
        switch method {
        case .hello: body = .hello(try params(HelloRequest.self))
        case .status: body = .status(try params(StatusRequest.self))
        case .apply: body = .apply(try params(ApplyRequest.self))
        case .start: body = .start(try params(ControlRequest.self))
        case .stop: body = .stop(try params(ControlRequest.self))
        case .restart: body = .restart(try params(ControlRequest.self))
        case .activate: body = .activate(try params(ActivateRequest.self))
        case .logs: body = .logs(try params(LogsRequest.self))
        case .lease: body = .lease(try params(LeaseRequest.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(v, forKey: .v)
        try c.encode(id, forKey: .id)
        try c.encode(body.method, forKey: .method)
        try c.encodeIfPresent(fence, forKey: .fence)
        switch body {
        case .hello(let p): try c.encode(p, forKey: .params)
        case .status(let p): try c.encode(p, forKey: .params)
        case .apply(let p): try c.encode(p, forKey: .params)
        case .start(let p), .stop(let p), .restart(let p): try c.encode(p, forKey: .params)
        case .activate(let p): try c.encode(p, forKey: .params)
        case .logs(let p): try c.encode(p, forKey: .params)
        case .lease(let p): try c.encode(p, forKey: .params)
        }
    }
}
