import FoundationEssentials
import Shared
#if canImport(Glibc)
import Glibc
#endif

/// Turns one request line into one response: decodes, checks version and fence, dispatches
/// to the supervisor, and turns every failure into an error response. Never throws, never
/// crashes on input: a bad line costs its sender an error and nothing else.
struct RequestHandler: Sendable {
    let supervisor: Supervisor
    let log: AgentLog

    /// The response to `line` (one JSON object without its newline).
    func handle(_ line: [UInt8]) async -> AgentResponse {
        let decoder = AgentProtocol.makeDecoder()
        let data = Data(line)
        let envelope: Envelope
        do {
            envelope = try decoder.decode(Envelope.self, from: data)
        } catch {
            return AgentResponse(id: nil, .error(AgentFailure(.malformed, "not a JSON object: send one request object per line")))
        }
        let id = envelope.id
        func failure(_ code: AgentErrorCode, _ message: String) -> AgentResponse {
            AgentResponse(id: id, .error(AgentFailure(code, message)))
        }
        guard let version = envelope.v else { return failure(.badRequest, "missing \"v\" (protocol version)") }
        guard AgentProtocol.supportedVersions.contains(version) else {
            return failure(.unsupportedVersion, "protocol version \(version) is not supported; this agent speaks "
                + "\(AgentProtocol.supportedVersions.map(String.init).joined(separator: ", ")): upgrade the agent")
        }
        guard id != nil else { return failure(.badRequest, "missing \"id\" (a string the response will echo)") }
        guard let methodName = envelope.method else { return failure(.badRequest, "missing \"method\"") }
        guard AgentMethod(rawValue: methodName) != nil else {
            return failure(.unknownMethod, "unknown method \(methodName); known: "
                + AgentMethod.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let request: AgentRequest
        do {
            request = try decoder.decode(AgentRequest.self, from: data)
        } catch let error as DecodingError {
            return failure(.badRequest, "\(methodName): \(Self.describe(error))")
        } catch {
            return failure(.badRequest, "\(methodName): \(error)")
        }
        do {
            return AgentResponse(id: id, try await dispatch(request))
        } catch {
            log.warning("request refused", ["method": methodName, "code": error.code.rawValue, "error": error.message])
            return AgentResponse(id: id, .error(error))
        }
    }

    private func dispatch(_ request: AgentRequest) async throws(AgentFailure) -> AgentResponse.Body {
        if request.body.changesState {
            // Every change needs the deployment lease: without this, a client that never took
            // it (or an older controller) would act in the middle of another operator's deploy.
            guard let fence = request.fence else {
                throw AgentFailure(.fenceRequired, "\(request.body.method.rawValue) changes this host and needs the deployment lease: "
                                   + "acquire it (method lease) and send its token as \"fence\"", lease: await supervisor.currentLease())
            }
            try await supervisor.checkFence(fence)
        }
        switch request.body {
        case .hello(let params):
            if let client = params.client { log.info("hello", ["client": client]) }
            return .hello(await supervisor.hello(javaHome: params.javaHome, accounts: params.accounts ?? [],
                                                      consul: params.consul))
        case .status(let params): return .status(try await supervisor.status(params))
        case .apply(let params): return .apply(try await supervisor.apply(params))
        case .start(let params): return .start(try await supervisor.start(params))
        case .stop(let params): return .stop(try await supervisor.stop(params))
        case .restart(let params): return .restart(try await supervisor.restart(params))
        case .activate(let params): return .activate(try await supervisor.activate(params))
        case .logs(let params): return .logs(try await logs(params))
        case .lease(let params): return .lease(try await supervisor.lease(params))
        }
    }

    /// Longest `grep` pattern accepted: matching runs on every line scanned, and a long
    /// pattern with nested repetition can take very long per line.
    static let maxGrepPattern = 256
    /// With `grep`, reading backwards stops after this many bytes (a tail without one stops at
    /// `LogQuery.maxScanBytes`): a pattern that matches nothing must not scan a whole log.
    static let maxGrepScanBytes = 16 << 20

    /// Reads a log on its own thread: a large scan must not hold up the supervisor.
    private func logs(_ request: LogsRequest) async throws(AgentFailure) -> LogsResult {
        guard SafeName.isValid(request.service) else {
            throw AgentFailure(.invalidName, "invalid service name \(request.service)", service: request.service)
        }
        guard (1...10_000).contains(request.lines) else { throw AgentFailure(.badRequest, "lines must be 1...10000, got \(request.lines)") }
        guard (1...(1 << 20)).contains(request.maxBytes) else {
            throw AgentFailure(.badRequest, "maxBytes must be 1...1048576, got \(request.maxBytes)")
        }
        if let pattern = request.grep {
            guard pattern.count <= Self.maxGrepPattern else {
                throw AgentFailure(.badRequest, "grep pattern is \(pattern.count) characters; at most \(Self.maxGrepPattern) characters "
                    + "are accepted, to bound the agent's work: use a shorter expression")
            }
            do { _ = try Regex(pattern) } catch {
                throw AgentFailure(.badRequest, "grep is not a valid regular expression: \(error)")
            }
        }
        let paths = supervisor.paths
        let path: String
        switch request.source {
        case .console: path = paths.consoleLog(request.service)
        case .error: path = await supervisor.errorLogPath(request.service)
        case .service: path = await supervisor.serviceLogPath(request.service)
        }
        let outcome: Result<(lines: [String], truncated: Bool), AgentFailure> = await Threads.run {
            var query = LogQuery(lines: request.lines, grep: request.grep.flatMap { try? Regex($0) },
                                 since: request.since, maxBytes: request.maxBytes)
            if query.grep != nil { query.maxScanBytes = Self.maxGrepScanBytes }
            do {
                return .success(try LogTail.read(opening: path, in: paths, query: query))
            } catch let error as PosixError where error.code == ENOENT {
                return .failure(AgentFailure(.notFound, "\(path) does not exist (has the service ever started here?)", service: request.service))
            } catch {
                return .failure(AgentFailure(.io, String(describing: error), service: request.service))
            }
        }
        switch outcome {
        case .success(let tail): return LogsResult(service: request.service, path: path, lines: tail.lines, truncated: tail.truncated)
        case .failure(let failure): throw failure
        }
    }

    /// The fields every request must carry, read leniently so a bad request still gets its id back.
    private struct Envelope: Decodable {
        var v: Int?
        var id: String?
        var method: String?

        enum CodingKeys: String, CodingKey { case v, id, method }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            v = try? c.decodeIfPresent(Int.self, forKey: .v)
            id = try? c.decodeIfPresent(String.self, forKey: .id)
            method = try? c.decodeIfPresent(String.self, forKey: .method)
        }
    }

    /// "params.services[0].command: missing" rather than Swift's debug dump.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "request" : text)
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])): missing"
        case .typeMismatch(let type, let context): return "\(path(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context): return "\(path(context.codingPath)): expected \(type), got null"
        case .dataCorrupted(let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return String(describing: error)
        }
    }
}
