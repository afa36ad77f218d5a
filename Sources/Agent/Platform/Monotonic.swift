#if canImport(Glibc)
import Glibc
#endif

/// Seconds on CLOCK_MONOTONIC: for timeouts and durations that must not jump with the wall clock.
enum Monotonic {
    static var now: Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
