/// Runs blocking work (reading and hashing a large file) on a thread of its own, so it never
/// occupies one of the few threads of Swift's cooperative pool.
enum BlockingWork {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let thread = SessionThread(name: "jobfleet blocking work")
        defer { thread.finish() }
        return try await thread.run(body)
    }
}
