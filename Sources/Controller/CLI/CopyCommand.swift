import ArgumentParser
import Foundation
import Shared

/// `jobfleet copy`: one local file to many hosts, verified and atomic on each.
struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Upload a file to the fleet's hosts, verified and atomically.",
        discussion: """
            Each host receives the file under a temporary name beside REMOTE, synced to disk, \
            with the exact mode; the host then hashes it and it is renamed onto REMOTE only if \
            its sha256 matches the local file's. An existing file at REMOTE is replaced \
            atomically; an interrupted copy never leaves a partial file there. Missing parent \
            directories are created. A relative REMOTE is relative to each host's bk_home; a \
            REMOTE ending in / gets the local file's name.

            Exit status: 0 when every host has the file, 1 when some host does not, 64 for a \
            bad manifest, selection or path.
            """)

    @OptionGroup var fleet: FleetOptions

    @Option(help: ArgumentHelp("Permission bits of the remote file, in octal (default: the local file's).", valueName: "mode"))
    var mode: FileMode?

    @Option(help: ArgumentHelp("How long an upload may make no progress (default: the manifest's ssh.command_timeout).", valueName: "duration"))
    var timeout: DurationArgument?

    @Flag(help: "Print one JSON object per host, one per line.")
    var json = false

    @Argument(help: "The local file.")
    var local: String

    @Argument(help: "Where to put it on each host (absolute, or relative to bk_home).")
    var remote: String

    func validate() throws {
        var info = stat()
        guard stat(local, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw ValidationError("\(local) is not a readable regular file")
        }
        let check = remote.hasSuffix("/") ? String(remote.dropLast()) : remote
        if let problem = SafeName.pathProblem(check, absolute: remote.hasPrefix("/")) {
            throw ValidationError("REMOTE \(problem)")
        }
    }

    func run() async throws {
        let (manifest, targets) = try fleet.targets(commandTimeout: timeout?.value)
        let bkHomes = Dictionary(manifest.hosts.map { ($0.name, $0.bkHome) }, uniquingKeysWith: { first, _ in first })
        let size = UInt64(try FileManager.default.attributesOfItem(atPath: local)[.size] as? Int ?? 0)
        let fileMode = try mode?.value ?? localMode()
        // Hashed once here for every host (off the cooperative pool: it reads the whole file).
        let path = local
        let sha256 = try await BlockingWork.run { try Checksum.sha256(fileAt: path) }
        let output = CopyOutput(json: json, size: size)
        let name = (local as NSString).lastPathComponent
        let remote = remote
        let outcomes = await HostFanOut(forks: fleet.forks(for: manifest)).run(targets, onOutcome: output.show) { connection in
            let destination = Self.destination(remote, bkHome: bkHomes[connection.target.name] ?? "/", localName: name)
            let request = UploadRequest(localPath: path, remotePath: destination, mode: fileMode, sha256: sha256)
            return try await connection.upload([request], timeout: nil, progress: nil)[0]
        }
        if !output.summarize(outcomes) { throw ExitCode(1) }
    }

    /// REMOTE resolved for one host: relative to its bk_home, with the local name when it ends in /.
    static func destination(_ remote: String, bkHome: String, localName: String) -> String {
        var path = remote.hasPrefix("/") ? remote : (bkHome.hasSuffix("/") ? bkHome : bkHome + "/") + remote
        if path.hasSuffix("/") { path += localName }
        return path
    }

    private func localMode() throws -> UInt32 {
        var info = stat()
        guard stat(local, &info) == 0 else { throw ValidationError("cannot read \(local)") }
        return UInt32(info.st_mode) & 0o7777
    }
}

/// A file mode on the command line, in octal: `644`, `0755`.
struct FileMode: ExpressibleByArgument, Sendable {
    var value: UInt32

    init?(argument: String) {
        guard let value = UInt32(argument, radix: 8), value <= 0o7777 else { return nil }
        self.value = value
    }
}
