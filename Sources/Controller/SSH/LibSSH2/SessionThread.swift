import Foundation

/// An OS thread of its own for one SSH session.
///
/// libssh2 calls wait on sockets; Swift's cooperative pool has about one thread per core and
/// must never be blocked, so each session's work runs here, one job at a time, and async callers
/// await it through a continuation. The number of these threads is bounded by `--forks`.
final class SessionThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var finishing = false
    private var exited = false

    /// Starts the thread; `name` shows in debuggers and `top -H`.
    init(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Runs `body` on this thread and returns its result to the awaiting task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = submit { continuation.resume(with: Result(catching: body)) }
            if !accepted { continuation.resume(throwing: SessionThreadStopped()) }
        }
    }

    /// Queues `job`; false when the thread has already stopped.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if exited { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// Lets the thread end once its queue is empty.
    func finish() {
        condition.lock()
        finishing = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !finishing { condition.wait() }
            if jobs.isEmpty {
                exited = true
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}

/// A job was submitted to a session thread that had already stopped.
struct SessionThreadStopped: Error, CustomStringConvertible {
    var description: String { "the SSH connection was already closed" }
}
