import Foundation
import Shared

/// One conversation with a host's agent: JSON lines over `jobfleet-agent rpc`, one request at a
/// time, each answer matched to its request by id.
actor AgentChannel {
    let hostLabel: String
    private let stream: any HostStream
    /// How long the agent may take to answer a request that does not wait for services.
    private let answerTimeout: Duration
    /// How long it may take to answer a `stop` or `restart` that waits for services to exit;
    /// nil: the stream's own (command) timeout.
    private let waitTimeout: Duration?
    private var nextID = 0
    /// The held lease's fencing token, sent with every changing request.
    var fence: UInt64?
    private let encoder = AgentProtocol.makeEncoder()
    private let decoder = AgentProtocol.makeDecoder()

    init(hostLabel: String, stream: any HostStream, answerTimeout: Duration = .seconds(15), waitTimeout: Duration? = nil) {
        self.hostLabel = hostLabel
        self.stream = stream
        self.answerTimeout = answerTimeout
        self.waitTimeout = waitTimeout
    }

    /// How long `body` may take to be answered: a stop or restart that waits for services to
    /// exit gets `waitTimeout`; everything else `answerTimeout`.
    func timeout(for body: AgentRequest.Body) -> Duration? {
        switch body {
        case .stop(let request) where request.wait, .restart(let request) where request.wait: waitTimeout
        default: answerTimeout
        }
    }

    func setFence(_ token: UInt64?) { fence = token }

    /// The last request queued: each new one waits for it, so exchanges never overlap.
    private var tail: Task<Void, Never>?

    /// Sends `body` and returns the agent's result; an agent error is thrown as `HostFailure`.
    /// Calls from concurrent tasks take turns in arrival order: the actor alone would interleave
    /// them at the suspension between writing a request and reading its answer.
    func call(_ body: AgentRequest.Body) async throws -> AgentResponse.Body {
        let previous = tail
        let turn = Task { () async throws -> AgentResponse.Body in
            await previous?.value
            return try await self.exchange(body)
        }
        tail = Task { _ = try? await turn.value }
        return try await turn.value
    }

    private func exchange(_ body: AgentRequest.Body) async throws -> AgentResponse.Body {
        nextID += 1
        let request = AgentRequest(id: String(nextID), body, fence: body.changesState ? fence : nil)
        var line = [UInt8](try encoder.encode(request))
        line.append(UInt8(ascii: "\n"))
        trace("→ \(request.id) \(body.method.rawValue)")
        try await stream.write(line)
        trace("  written \(request.id)")
        // Read until our answer. Another id can only be a late answer to an earlier request
        // (the agent may answer out of order); it is skipped rather than mistaken for ours.
        var response: AgentResponse
        while true {
            guard let answer = try await readAnswer(to: body) else {
                throw HostFailure(host: hostLabel, message: "the agent closed the connection during \(body.method.rawValue)")
            }
            do {
                response = try decoder.decode(AgentResponse.self, from: Data(answer.utf8))
            } catch {
                throw HostFailure(host: hostLabel, message: "the agent answered something unreadable: \(answer.prefix(200))")
            }
            trace("← \(response.id ?? "nil") (waiting for \(request.id))")
            if response.id == request.id { break }
            if response.id == nil, case .error(let failure) = response.body {
                throw HostFailure(host: hostLabel, message: "the agent could not read request \(request.id): \(failure.message)", agent: failure)
            }
        }
        if case .error(let failure) = response.body {
            throw HostFailure(host: hostLabel, message: failure.message, agent: failure)
        }
        return response.body
    }

    /// The next line from the agent, within the time `body` may take. A timeout means the
    /// agent (or the host) stopped answering; the connection is not used again.
    private func readAnswer(to body: AgentRequest.Body) async throws -> String? {
        let limit = timeout(for: body)
        do {
            return try await stream.readLine(timeout: limit)
        } catch let error as SSHError where error.kind == .timedOut {
            let within = limit.map { " within \(Format.seconds($0.seconds))" } ?? " in time"
            throw HostFailure(host: hostLabel, message: """
                the agent did not answer \(body.method.rawValue)\(within): its daemon may be stopped or hung; \
                check the jobfleet-agent serve process and BK_HOME/.jobfleet/agent.log on the host, or raise ssh.agent_timeout
                """, unreachable: true)
        }
    }

    private static let tracing = ProcessInfo.processInfo.environment["JOBFLEET_TRACE_RPC"] != nil

    /// Writes one line about the conversation to stderr when JOBFLEET_TRACE_RPC is set.
    private func trace(_ text: @autoclosure () -> String) {
        guard Self.tracing else { return }
        // The agent's answers are host text: made harmless like everything else printed.
        let line = TerminalText.neutralised("[rpc \(hostLabel) \(Date().timeIntervalSince1970)] \(text())")
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    func close() async {
        _ = try? await stream.finishWriting()
    }
}
