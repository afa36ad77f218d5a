import Foundation

/// On a terminal, one redrawn line with how much of a copy has reached the hosts; nothing
/// elsewhere (each host's result line is the plain progress there).
final class CopyProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let sizes: [UInt64]
    private let total: UInt64
    private var done: [String: UInt64] = [:]
    private var lastDraw = ContinuousClock.now

    /// Progress of sending files of `sizes` to `hosts` hosts.
    init(sizes: [UInt64], hosts: Int) {
        self.sizes = sizes
        total = sizes.reduce(0, +) * UInt64(hosts)
    }

    /// The upload progress handler for `host`.
    func handler(for host: String) -> UploadProgressHandler? {
        guard Console.interactive else { return nil }
        return { [self] step in
            lock.withLock {
                done[host] = sizes.prefix(step.fileIndex).reduce(0, +) + step.bytesDone
                let now = ContinuousClock.now
                guard now - lastDraw > .milliseconds(100) else { return }
                lastDraw = now
                let sent = done.values.reduce(0, +)
                Console.status("copying to \(done.count) host(s): \(Format.bytes(sent)) of \(Format.bytes(total))")
            }
        }
    }

    /// Clears the line before a result is printed under it.
    func clear() { lock.withLock { Console.clearStatus() } }
}
