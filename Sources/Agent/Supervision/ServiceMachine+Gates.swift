import FoundationEssentials
import Shared

/// Start gates: a start waits until every gate of the spec passes, checked again every
/// `gateRecheckInterval` for as long as it takes (as upstream's `until host …` loop does).
/// A held start is a pending spawn with `record.waiting` set; a stop, an apply that stops the
/// service or a prune drops it.
extension ServiceMachine {
    /// Seconds between checks of gates that did not pass.
    static let gateRecheckInterval = 1.0

    /// A check of the gates finished. It starts the held process when they passed; otherwise
    /// the reason is kept for status (and logged when it changes) and the next check is set.
    /// An answer for a start no longer held (stopped meanwhile, or started already) is dropped.
    mutating func gatesChecked(failure: String?, at now: Date) -> [ServiceAction] {
        guard let reason = pendingSpawn, let wait = record.waiting, record.process == nil else { return [] }
        guard let failure else {
            record.waiting = nil
            var actions: [ServiceAction] = []
            if let since = wait.since { actions.append(.report(.gatesPassed(afterSeconds: now.timeIntervalSince(since)))) }
            return actions + [.spawn(reason)]
        }
        record.waiting = GateWait(since: wait.since ?? now, reason: failure)
        var actions: [ServiceAction] = []
        if wait.reason != failure {
            actions.append(.report(.waiting(for: record.spec.startGates.map(\.service), reason: failure)))
        }
        return actions + [.scheduleTimer(at: now.addingTimeInterval(Self.gateRecheckInterval))]
    }

    /// The recheck timer of a held start: the gates of the spec as it is now (an apply may
    /// have changed them; without gates the start goes ahead).
    mutating func recheckGates() -> [ServiceAction] {
        guard let reason = pendingSpawn else { return [] }
        guard !record.spec.startGates.isEmpty else {
            record.waiting = nil
            return [.spawn(reason)]
        }
        return [.checkGates(record.spec.startGates)]
    }

    /// True while a start is held at the gates.
    var heldAtGates: Bool { record.waiting != nil && pendingSpawn != nil && record.process == nil }

    /// Drops a held start: nothing is to start any more.
    mutating func releaseHeldStart() {
        guard record.waiting != nil else { return }
        record.waiting = nil
        pendingSpawn = nil
    }
}
