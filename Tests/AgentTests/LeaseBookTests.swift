import Foundation
import Testing
@testable import Agent
@testable import Shared

@Suite("The host lease")
struct LeaseBookTests {
    let t0 = Date(timeIntervalSince1970: 10_000)

    @Test("a second owner is refused with the holder named")
    func refused() throws {
        var book = LeaseBook()
        let lease = try book.handle(LeaseRequest(action: .acquire, owner: "alice", ttlSeconds: 60), now: t0)
        #expect(lease?.token == 1)
        do {
            _ = try book.handle(LeaseRequest(action: .acquire, owner: "bob"), now: t0 + 1)
            Issue.record("bob got the lease")
        } catch {
            #expect(error.code == .leaseHeld)
            #expect(error.message.contains("alice"))
            #expect(error.lease?.owner == "alice")
        }
    }

    @Test("renewing extends the same token; releasing frees it")
    func renewRelease() throws {
        var book = LeaseBook()
        _ = try book.handle(LeaseRequest(action: .acquire, owner: "alice", ttlSeconds: 60), now: t0)
        let renewed = try book.handle(LeaseRequest(action: .renew, owner: "alice", ttlSeconds: 60, token: 1), now: t0 + 50)
        #expect(renewed?.token == 1)
        #expect(renewed?.expiresAt == t0 + 110)
        #expect(try book.handle(LeaseRequest(action: .release, owner: "alice"), now: t0 + 60) == nil)
        #expect(book.active(at: t0 + 60) == nil)
        #expect(throws: AgentFailure.self) { try book.handle(LeaseRequest(action: .renew, owner: "alice"), now: t0 + 61) }
    }

    @Test("an expired lease goes to the next owner with a larger fencing token")
    func expiry() throws {
        var book = LeaseBook()
        _ = try book.handle(LeaseRequest(action: .acquire, owner: "alice", ttlSeconds: 10), now: t0)
        let bob = try book.handle(LeaseRequest(action: .acquire, owner: "bob", ttlSeconds: 10), now: t0 + 11)
        #expect(bob?.token == 2)
        #expect(throws: AgentFailure.self) { try book.check(fence: 1, now: t0 + 12) }
        try book.check(fence: 2, now: t0 + 12)
        #expect(throws: AgentFailure.self) { try book.check(fence: 2, now: t0 + 30) }
    }
}
