import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT as something to await: their default action (ending the process at
/// once) is replaced by a wait that returns the signal, so the daemon shuts down in order.
enum ShutdownSignal {
    static let numbers = [SIGTERM, SIGINT]

    /// Suspends until one of ``numbers`` arrives and returns it; nil when the task is
    /// cancelled first. The signals stay ignored afterwards: a second one does not cut the
    /// shutdown short.
    static func next() async -> Int32? {
        let (arrivals, continuation) = AsyncStream.makeStream(of: Int32.self)
        let sources = numbers.map { number in
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        for await number in arrivals { return number }
        return nil
    }
}
