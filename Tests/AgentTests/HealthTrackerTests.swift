import Foundation
import Testing
@testable import Agent
@testable import Shared

@Suite("Health verdicts from probe results")
struct HealthTrackerTests {
    let t0 = Date(timeIntervalSince1970: 5000)

    @Test("failures during the start grace do not make a service unhealthy")
    func grace() {
        var tracker = HealthTracker(startedAt: t0)
        for i in 0..<5 {
            tracker.record(success: false, error: "refused", at: t0 + Double(i), inGrace: true, healthyThreshold: 1, unhealthyThreshold: 2)
        }
        #expect(tracker.state == .unknown)
        #expect(tracker.lastError == "refused")
    }

    @Test("consecutive thresholds decide, and since tells when the verdict changed")
    func thresholds() {
        var tracker = HealthTracker(startedAt: t0)
        let first = tracker.record(success: true, error: nil, at: t0 + 1, inGrace: false, healthyThreshold: 2, unhealthyThreshold: 2)
        #expect(!first)
        let second = tracker.record(success: true, error: nil, at: t0 + 2, inGrace: false, healthyThreshold: 2, unhealthyThreshold: 2)
        #expect(second)
        #expect(tracker.state == .healthy)
        #expect(tracker.healthySince == t0 + 2)
        tracker.record(success: false, error: "503", at: t0 + 3, inGrace: false, healthyThreshold: 2, unhealthyThreshold: 2)
        #expect(tracker.state == .healthy)
        tracker.record(success: true, error: nil, at: t0 + 4, inGrace: false, healthyThreshold: 2, unhealthyThreshold: 2)
        tracker.record(success: false, error: "503", at: t0 + 5, inGrace: false, healthyThreshold: 2, unhealthyThreshold: 2)
        #expect(tracker.state == .healthy, "the success in between reset the failure count")
        tracker.record(success: false, error: "503", at: t0 + 6, inGrace: false, healthyThreshold: 2, unhealthyThreshold: 2)
        #expect(tracker.state == .unhealthy)
        #expect(tracker.since == t0 + 6)
        #expect(tracker.healthySince == nil)
        #expect(tracker.status.lastError == "503")
    }

    @Test("once healthy, a failure counts even inside the grace")
    func healthyInGrace() {
        var tracker = HealthTracker(startedAt: t0)
        tracker.record(success: true, error: nil, at: t0 + 1, inGrace: true, healthyThreshold: 1, unhealthyThreshold: 1)
        tracker.record(success: false, error: "down", at: t0 + 2, inGrace: true, healthyThreshold: 1, unhealthyThreshold: 1)
        #expect(tracker.state == .unhealthy)
    }
}
