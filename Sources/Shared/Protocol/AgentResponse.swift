/// One response from the agent: `{"v":1,"id":"7","method":"stop","result":{...}}`, or
/// `{"v":1,"id":"7","error":{"code":"unknown_service","message":"..."}}`.
public struct AgentResponse: Codable, Sendable, Equatable {
    /// Protocol version of the agent.
    public var v: Int
    /// The request's `id`; `nil` (JSON null) only when the request was too malformed to read one.
    public var id: String?
    /// The result, or the error.
    public var body: Body

    /// A successful result per method, or an error.
    public enum Body: Sendable, Equatable {
        case hello(HelloResult)
        case status(StatusResult)
        case apply(ApplyResult)
        case start(ControlResult)
        case stop(ControlResult)
        case restart(ControlResult)
        case activate(ActivateResult)
        case logs(LogsResult)
        case lease(LeaseResult)
        case error(AgentFailure)

        /// The method this result answers; `nil` for an error.
        public var method: AgentMethod? {
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
            case .error: nil
            }
        }
    }

    /// A response in the current protocol version.
    public init(id: String?, _ body: Body) {
        self.v = AgentProtocol.version
        self.id = id
        self.body = body
    }

    /// The error carried by this response, if it is one.
    public var failure: AgentFailure? {
        if case .error(let failure) = body { return failure }
        return nil
    }

    enum CodingKeys: String, CodingKey { case v, id, method, result, error }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        v = try c.decode(Int.self, forKey: .v)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        if let failure = try c.decodeIfPresent(AgentFailure.self, forKey: .error) {
            body = .error(failure)
            return
        }
        switch try c.decode(AgentMethod.self, forKey: .method) {
        case .hello: body = .hello(try c.decode(HelloResult.self, forKey: .result))
        case .status: body = .status(try c.decode(StatusResult.self, forKey: .result))
        case .apply: body = .apply(try c.decode(ApplyResult.self, forKey: .result))
        case .start: body = .start(try c.decode(ControlResult.self, forKey: .result))
        case .stop: body = .stop(try c.decode(ControlResult.self, forKey: .result))
        case .restart: body = .restart(try c.decode(ControlResult.self, forKey: .result))
        case .activate: body = .activate(try c.decode(ActivateResult.self, forKey: .result))
        case .logs: body = .logs(try c.decode(LogsResult.self, forKey: .result))
        case .lease: body = .lease(try c.decode(LeaseResult.self, forKey: .result))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(v, forKey: .v)
        // Always present, as null when unknown, so every message has an `id` key.
        try c.encode(id, forKey: .id)
        if let method = body.method { try c.encode(method, forKey: .method) }
        switch body {
        case .hello(let r): try c.encode(r, forKey: .result)
        case .status(let r): try c.encode(r, forKey: .result)
        case .apply(let r): try c.encode(r, forKey: .result)
        case .start(let r), .stop(let r), .restart(let r): try c.encode(r, forKey: .result)
        case .activate(let r): try c.encode(r, forKey: .result)
        case .logs(let r): try c.encode(r, forKey: .result)
        case .lease(let r): try c.encode(r, forKey: .result)
        case .error(let e): try c.encode(e, forKey: .error)
        }
    }
}
