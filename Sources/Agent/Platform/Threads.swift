#if canImport(Glibc)
import Glibc
#endif

/// Plain threads for blocking work (socket reads, probes, waits) so that it never occupies
/// one of the few threads of Swift's cooperative pool.
enum Threads {
    private final class Box: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Runs `body` on a new detached thread with a small stack.
    static func detach(_ body: @escaping @Sendable () -> Void) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        // 512 KiB is plenty for line parsing and probes, and keeps the footprint low.
        pthread_attr_setstacksize(&attributes, 512 * 1024)
        let box = Unmanaged.passRetained(Box(body))
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box.toOpaque())
        if result != 0 {
            // Out of threads: run inline rather than lose the work.
            box.takeRetainedValue().body()
        }
    }

    /// Runs blocking `body` on its own thread and returns its result to the async caller.
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            detach { continuation.resume(returning: body()) }
        }
    }
}
