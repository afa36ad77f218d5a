import ArgumentParser
import Foundation
import Shared

/// `jobfleet copy`: local files to many hosts, verified and atomic on each.
struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Upload files to the fleet's hosts, verified and atomically.",
        usage: "jobfleet copy -f <file> [<options>] <local> ... <remote>",
        discussion: """
            Each host receives each file under a temporary name beside its destination, synced \
            to disk, with the exact mode; the host then hashes it and it is renamed into place \
            only if its sha256 matches the local file's. An existing file is replaced \
            atomically; an interrupted copy never leaves a partial file in place. Missing parent \
            directories are created. A relative REMOTE is relative to each host's bk_home. A \
            REMOTE ending in / is a directory that receives the files under their own names; \
            it is required with several LOCAL files. All files go over one connection per host.

            Exit status: 0 when every host has every file, 1 when some host does not, 64 for a \
            bad manifest, selection or path.
            """)

    @OptionGroup var fleet: FleetOptions

    @Option(help: ArgumentHelp("Permission bits of the remote files, in octal (default: each local file's).", valueName: "mode"))
    var mode: FileMode?

    @Option(help: ArgumentHelp("How long an upload may make no progress (default: the manifest's ssh.command_timeout).", valueName: "duration"))
    var timeout: DurationArgument?

    @Flag(help: "Print one JSON object per host, one per line.")
    var json = false

    @Argument(help: ArgumentHelp("The local files, then where to put them on each host (absolute, or relative to bk_home).",
                                 valueName: "local ... remote"))
    var paths: [String] = []

    /// The files to send.
    var locals: [String] { Array(paths.dropLast()) }
    /// Where they go.
    var remote: String { paths.last ?? "" }

    func validate() throws {
        guard paths.count >= 2 else { throw ValidationError("give at least one LOCAL file and the REMOTE destination") }
        for local in locals {
            var info = stat()
            guard stat(local, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                throw ValidationError("\(local) is not a readable regular file")
            }
        }
        if locals.count > 1 && !remote.hasSuffix("/") {
            throw ValidationError("with several LOCAL files, REMOTE must be a directory ending in /")
        }
        let check = remote.hasSuffix("/") ? String(remote.dropLast()) : remote
        if let problem = SafeName.pathProblem(check, absolute: remote.hasPrefix("/")) {
            throw ValidationError("REMOTE \(problem)")
        }
    }

    func run() async throws {
        let loaded = try fleet.loadManifest()
        let targets = try loaded.sshTargets(try loaded.selectedHosts(), commandTimeout: timeout?.value)
        let bkHomes = Dictionary(loaded.manifest.hosts.map { ($0.name, $0.bkHome) }, uniquingKeysWith: { first, _ in first })
        // Files going to several hosts are hashed once, while the connections are being made;
        // for a single host the upload hashes them itself, while it sends them.
        let (locals, mode) = (locals, mode?.value)
        let hashOnce = targets.count > 1
        let inspection = Task { try await LocalFile.inspect(locals, mode: mode, hash: hashOnce) }
        let remote = remote
        let output = CopyOutput(json: json)
        let sizes = locals.map { UInt64((try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? 0) }
        let progress = CopyProgress(sizes: sizes, hosts: targets.count)
        let show: (CopyOutput.Outcome) -> Void = { outcome in
            progress.clear()
            output.show(outcome)
        }
        let outcomes = await HostFanOut(forks: loaded.manifest.ssh.forks).run(targets, onOutcome: show) { connection in
            let files = try await inspection.value
            let bkHome = bkHomes[connection.target.name] ?? "/"
            let requests = files.map { file in
                UploadRequest(localPath: file.path, remotePath: Self.destination(remote, bkHome: bkHome, localName: file.name),
                              mode: file.mode, sha256: file.sha256)
            }
            return try await connection.upload(requests, timeout: nil, progress: progress.handler(for: connection.target.name))
        }
        progress.clear()
        let status = output.summarize(outcomes)
        if status != 0 { throw ExitCode(status) }
    }

    /// REMOTE resolved for one host: relative to its bk_home, with the local name when it ends in /.
    static func destination(_ remote: String, bkHome: String, localName: String) -> String {
        var path = remote.hasPrefix("/") ? remote : (bkHome.hasSuffix("/") ? bkHome : bkHome + "/") + remote
        if path.hasSuffix("/") { path += localName }
        return path
    }
}

/// A local file to send: its name, mode and, when it goes to several hosts, its SHA-256.
struct LocalFile: Sendable {
    var path: String
    var name: String
    var mode: UInt32
    var sha256: String?

    /// Reads each file's mode (unless `mode` overrides it) and, with `hash`, its SHA-256, off the
    /// cooperative pool since hashing reads every byte.
    static func inspect(_ paths: [String], mode: UInt32?, hash: Bool) async throws -> [LocalFile] {
        try await BlockingWork.run {
            try paths.map { path in
                var info = stat()
                guard stat(path, &info) == 0 else { throw ValidationError("cannot read \(path)") }
                return LocalFile(path: path, name: (path as NSString).lastPathComponent,
                                 mode: mode ?? UInt32(info.st_mode) & 0o7777,
                                 sha256: hash ? try Checksum.sha256(fileAt: path) : nil)
            }
        }
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
