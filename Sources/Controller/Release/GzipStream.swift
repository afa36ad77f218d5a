import Foundation

/// The decompressed bytes of a gzip file as `gzip -dc` writes them, read from its stdout. The
/// end of the stream is only the end once gzip has exited 0: a corrupt or truncated file (bad
/// CRC, missing trailer) is an error there, with what gzip said.
final class GzipStream: ByteSource {
    private let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private var finished = false
    private var launched = false

    /// Starts `gzip -dc` reading `fd` (an open tarball) as its stdin.
    init(fd: Int32) throws(ReleaseProblem) {
        guard let gzip = Self.findGzip() else {
            throw ReleaseProblem("cannot be unpacked: gzip is not on PATH (install gzip)")
        }
        process.executableURL = URL(fileURLWithPath: gzip)
        process.arguments = ["-dc"]
        process.standardInput = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw ReleaseProblem("cannot be unpacked: starting \(gzip) failed (\(error))")
        }
        launched = true
    }

    deinit { cancel() }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished else { return 0 }
        let fd = output.fileHandleForReading.fileDescriptor
        while true {
            let count = Foundation.read(fd, buffer.baseAddress, buffer.count)
            if count > 0 { return count }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw ReleaseProblem("cannot be unpacked: reading gzip's output failed (\(String(cString: strerror(errno))))") }
            try finish()
            return 0
        }
    }

    /// Waits for gzip and checks how it ended.
    private func finish() throws(ReleaseProblem) {
        finished = true
        process.waitUntilExit()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n").first.map { String($0).replacingOccurrences(of: "gzip: stdin: ", with: "") }
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw ReleaseProblem("is not a valid gzip file: gzip -dc failed (\(said ?? "status \(process.terminationStatus)")); copy the tarball again")
        }
    }

    /// Stops gzip when the archive was refused before its end.
    func cancel() {
        guard launched, !finished else { return }
        finished = true
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    private static func findGzip() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin"]
        return dirs.map { "\($0)/gzip" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
