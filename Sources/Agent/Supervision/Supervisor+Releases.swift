import FoundationEssentials
import Shared

extension Supervisor {
    /// Flips the service's jar link to a release and prunes old releases. The running process
    /// keeps its jar open; a restart picks up the new one.
    func activate(_ request: ActivateRequest) throws(AgentFailure) -> ActivateResult {
        guard SafeName.isValid(request.service) else {
            throw AgentFailure(.invalidName, "invalid service name \(request.service)", service: request.service)
        }
        guard SafeName.isValid(request.release) else {
            throw AgentFailure(.invalidName, "invalid release id \(request.release)", service: request.service)
        }
        guard request.keep >= 2 else {
            throw AgentFailure(.badRequest, "keep must be at least 2 (the active and the previous release), got \(request.keep)")
        }
        var history = state.activations[request.service] ?? []
        let result = try releases.activate(service: request.service, release: request.release, keep: request.keep, history: &history)
        state.activations[request.service] = history
        dirty = true
        persist()
        log.info("activated release", ["service.name": request.service, "release": result.active,
                                        "previous": result.previous ?? "-", "removed": result.removed.joined(separator: ",")])
        return result
    }

    /// Acquires, renews or releases the host lease.
    func lease(_ request: LeaseRequest) throws(AgentFailure) -> LeaseResult {
        let lease = try state.lease.handle(request, now: Date())
        dirty = true
        persist()
        log.info("lease \(request.action.rawValue)", ["owner": request.owner, "token": lease.map { String($0.token) } ?? "-"])
        return LeaseResult(lease: lease)
    }

    /// The lease held now, if any (shown to a client refused for coming without one).
    func currentLease() -> LeaseInfo? {
        state.lease.active(at: Date())
    }

    /// Refuses a changing request whose fencing token is not the current lease's.
    func checkFence(_ fence: UInt64) throws(AgentFailure) {
        try state.lease.check(fence: fence, now: Date())
    }
}
