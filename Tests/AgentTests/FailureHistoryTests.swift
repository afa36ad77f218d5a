import Foundation
import Testing
@testable import Agent
@testable import Shared

@Suite("Restart backoff and the failed verdict")
struct FailureHistoryTests {
    @Test("backoff doubles from the initial delay up to the maximum",
          arguments: [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (40, 60.0)])
    func backoff(consecutive: Int, expected: Double) {
        #expect(FailureHistory.backoff(consecutive: consecutive, policy: RestartPolicy()) == expected)
    }

    @Test("quick failures inside the window end in giving up")
    func givesUp() {
        var history = FailureHistory()
        let policy = RestartPolicy(maxFailures: 3, windowSeconds: 60)
        let start = Date(timeIntervalSince1970: 1000)
        #expect(history.recordExit(at: start, ranSeconds: 1, policy: policy) == .restart(afterSeconds: 1))
        #expect(history.recordExit(at: start + 3, ranSeconds: 1, policy: policy) == .restart(afterSeconds: 2))
        guard case .giveUp(let reason) = history.recordExit(at: start + 7, ranSeconds: 1, policy: policy) else {
            Issue.record("expected to give up")
            return
        }
        #expect(reason.contains("3 unexpected exits within 1 min"))
    }

    @Test("failures older than the window are forgotten")
    func window() {
        var history = FailureHistory()
        let policy = RestartPolicy(maxFailures: 2, windowSeconds: 60, resetAfterSeconds: 1000)
        let start = Date(timeIntervalSince1970: 1000)
        _ = history.recordExit(at: start, ranSeconds: 1, policy: policy)
        #expect(history.recordExit(at: start + 61, ranSeconds: 1, policy: policy) == .restart(afterSeconds: 2))
        #expect(history.failures.count == 1)
    }

    @Test("a run longer than resetAfterSeconds starts the backoff over")
    func stableRunResets() {
        var history = FailureHistory()
        let policy = RestartPolicy(maxFailures: 10, resetAfterSeconds: 60)
        let start = Date(timeIntervalSince1970: 1000)
        _ = history.recordExit(at: start, ranSeconds: 1, policy: policy)
        _ = history.recordExit(at: start + 2, ranSeconds: 1, policy: policy)
        #expect(history.recordExit(at: start + 100, ranSeconds: 90, policy: policy) == .restart(afterSeconds: 1))
    }

    @Test("an explicit start clears the history")
    func reset() {
        var history = FailureHistory()
        _ = history.recordExit(at: Date(), ranSeconds: 0, policy: RestartPolicy())
        history.reset()
        #expect(history == FailureHistory())
    }
}
