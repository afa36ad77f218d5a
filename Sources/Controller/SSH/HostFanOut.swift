/// Runs one piece of work on many hosts at once: at most `forks` hosts at a time, each over
/// its own connection, opened once and used for everything the work does on that host. A host
/// that fails or hangs fails alone, within its own deadlines, while the others carry on.
public struct HostFanOut: Sendable {
    /// How connections are made (a fake in tests of the callers).
    public var connector: any HostConnector
    /// How many hosts are worked on at once.
    public var forks: Int

    /// A fan-out over `connector`, `forks` hosts at a time.
    public init(connector: any HostConnector = LibSSH2Connector(), forks: Int) {
        self.connector = connector
        self.forks = max(1, forks)
    }

    /// What happened on one host.
    public struct Outcome<Value: Sendable>: Sendable {
        /// The host.
        public var target: SSHTarget
        /// The work's value, or why there is none (connect, host key, auth or the work itself).
        public var result: Result<Value, any Error>
        /// Wall time from the start of the connect to the end of the work.
        public var duration: Duration
    }

    /// Connects to each target, runs `work` with the connection, and closes it.
    /// - Parameters:
    ///   - onOutcome: called as each host finishes, in completion order, on the caller's task.
    /// - Returns: every host's outcome, in the order of `targets`.
    public func run<Value: Sendable>(
        _ targets: [SSHTarget],
        onOutcome: ((Outcome<Value>) -> Void)? = nil,
        _ work: @escaping @Sendable (any HostConnection) async throws -> Value
    ) async -> [Outcome<Value>] {
        var outcomes = [Outcome<Value>?](repeating: nil, count: targets.count)
        let connector = connector
        await withTaskGroup(of: (Int, Outcome<Value>).self) { group in
            var next = 0
            func startNext() {
                guard next < targets.count else { return }
                let index = next, target = targets[index]
                next += 1
                group.addTask {
                    let clock = ContinuousClock()
                    let start = clock.now
                    let result: Result<Value, any Error>
                    do {
                        let connection = try await connector.connect(to: target)
                        do {
                            result = .success(try await work(connection))
                        } catch {
                            result = .failure(error)
                        }
                        await connection.close()
                    } catch {
                        result = .failure(error)
                    }
                    return (index, Outcome(target: target, result: result, duration: clock.now - start))
                }
            }
            for _ in 0..<min(forks, targets.count) { startNext() }
            while let (index, outcome) = await group.next() {
                outcomes[index] = outcome
                onOutcome?(outcome)
                startNext()
            }
        }
        return outcomes.map { $0! }
    }
}
