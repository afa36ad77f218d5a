/// Ticks the supervisor, so that exits are noticed within one interval, until cancelled.
struct SupervisorTicker {
    let supervisor: Supervisor
    /// Each tick costs a few system calls per service.
    var interval: Duration = .seconds(Supervisor.tickInterval)

    func run() async {
        while !Task.isCancelled {
            await supervisor.tick()
            try? await Task.sleep(for: interval)
        }
    }
}
