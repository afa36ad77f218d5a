import Foundation
import Testing

/// A real PostgreSQL server for tests: a cluster made by `initdb` in a directory of its own,
/// listening on 127.0.0.1 on a port of its own and on a Unix socket in that directory, with
/// password (scram-sha-256) login for every connection. `initdb` and the server refuse to run
/// as root, so as root they run as `nobody`; as anyone else they run as that user.
public final class PostgresServer: Sendable {
    /// The cluster's superuser, who owns the test databases.
    public static let user = "jobfleet"

    public let dir: String
    public let port: Int
    public let password: String
    let binaries: String

    /// The directory of `initdb`, `pg_ctl` and `psql`: the newest `/usr/lib/postgresql/*/bin`
    /// (Debian's layout), else the directory of `initdb` on PATH; nil when there is none.
    public static var binaries: String? {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap(Int.init).sorted()
        for version in versions.reversed() where FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/initdb") {
            return "/usr/lib/postgresql/\(version)/bin"
        }
        return Prerequisites.find("initdb").map { ($0 as NSString).deletingLastPathComponent }
    }

    /// Use as the condition of `.enabled(if:)`: true when PostgreSQL is installed, and in CI
    /// (where its absence must fail the run, not skip it).
    public static var available: Bool {
        if Prerequisites.isCI || binaries != nil { return true }
        FileHandle.standardError.write(Data("PostgreSQL journal tests skipped: no initdb (install postgresql, or run scripts/bootstrap)\n".utf8))
        return false
    }

    /// Makes a cluster under `base` and starts it. Throws, naming what is missing, when
    /// PostgreSQL is not installed.
    public init(base: String) throws {
        guard let binaries = Self.binaries else {
            throw SandboxError(message: "PostgreSQL journal tests need initdb and pg_ctl: install postgresql (scripts/bootstrap does)")
        }
        self.binaries = binaries
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        // As root the server runs as nobody, who must be able to reach its directory: under a
        // base that others cannot enter, it goes to /tmp instead.
        let parent = getuid() == 0 && !Self.othersCanEnter(base) ? "/tmp" : base
        dir = "\(parent)/jobfleet-postgres-\(UUID().uuidString.prefix(8))"
        password = "pg-\(UUID().uuidString)"
        port = try Self.freePort()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try Data((password + "\n").utf8).write(to: URL(fileURLWithPath: "\(dir)/password"))
        if getuid() == 0 {
            let owned = try Command.run("chown", ["-R", "nobody:", dir])
            guard owned.succeeded else { throw SandboxError(message: "chown nobody \(dir): \(owned.stderr)") }
        }
        try serverCommand("initdb", ["-D", "\(dir)/data", "-U", Self.user, "--auth=scram-sha-256", "--pwfile=\(dir)/password",
                                     "--locale=C", "-E", "UTF8", "--no-sync", "--no-instructions"])
        try start()
    }

    /// The running `postgres` (or `runuser` above it), started by `start`.
    private let process = NSLock.Guarded<Process?>(nil)

    /// Starts the server (again) and waits until it accepts connections. `postgres` runs as a
    /// child of this process rather than through `pg_ctl start`: the daemon `pg_ctl` leaves
    /// behind keeps this process's descriptors, and Foundation would wait for it to end.
    public func start() throws {
        let server = Process()
        let postgres = ["\(binaries)/postgres", "-D", "\(dir)/data", "-p", String(port), "-k", dir,
                        "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=50"]
        if getuid() == 0 {
            server.executableURL = URL(fileURLWithPath: Prerequisites.find("runuser") ?? "/usr/sbin/runuser")
            server.arguments = ["-u", "nobody", "--", "env", "LC_ALL=C"] + postgres
        } else {
            server.executableURL = URL(fileURLWithPath: postgres[0])
            server.arguments = Array(postgres.dropFirst())
            server.environment = ProcessInfo.processInfo.environment.merging(["LC_ALL": "C"]) { $1 }
        }
        server.currentDirectoryURL = URL(fileURLWithPath: dir)
        let log = "\(dir)/server.log"
        if !FileManager.default.fileExists(atPath: log) { FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        server.standardOutput = handle
        server.standardError = handle
        server.standardInput = FileHandle.nullDevice
        try server.run()
        process.write { $0 = server }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let ready = try Command.run("\(binaries)/pg_isready", ["-q", "-h", "127.0.0.1", "-p", String(port), "-t", "2"])
            if ready.succeeded { return }
            guard server.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        throw SandboxError(message: "PostgreSQL did not start on 127.0.0.1:\(port):\n\(text.suffix(2000))")
    }

    /// Stops the server (fast shutdown) and waits for it to be gone.
    public func stop() throws {
        try serverCommand("pg_ctl", ["-D", "\(dir)/data", "-m", "fast", "-w", "stop"])
        process.read { $0 }?.waitUntilExit()
        process.write { $0 = nil }
    }

    /// Stops the server and removes its files.
    public func destroy() {
        _ = try? stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Creates an empty database owned by the superuser; returns its name.
    @discardableResult
    public func createDatabase(_ name: String = "journal_\(UUID().uuidString.prefix(8).lowercased())") throws -> String {
        try psql("CREATE DATABASE \(name)", database: "postgres")
        return name
    }

    /// Runs `sql` with `psql` over TCP as the superuser; returns what it printed (unaligned, tuples only).
    @discardableResult
    public func psql(_ sql: String, database: String) throws -> String {
        let result = try Command.run("\(binaries)/psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                                                          "-p", String(port), "-U", Self.user, "-d", database, "-c", sql],
                                     environment: ["PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"])
        guard result.succeeded else { throw SandboxError(message: "psql \(sql): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The journal URL for `database` over TCP, with `password` in it unless nil.
    public func url(_ database: String, password: String? = nil, user: String = PostgresServer.user) -> String {
        "postgresql://\(user)\(password.map { ":\($0)" } ?? "")@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// The journal URL for `database` through the Unix socket.
    public func socketURL(_ database: String) -> String {
        "postgresql://\(Self.user)@/\(database)?host=\(dir)&port=\(port)"
    }

    /// Runs a PostgreSQL program from `binaries`, as `nobody` when this process is root.
    private func serverCommand(_ program: String, _ arguments: [String]) throws {
        let path = "\(binaries)/\(program)"
        let result = getuid() == 0
            ? try Command.run("runuser", ["-u", "nobody", "--", "env", "LC_ALL=C", path] + arguments, currentDirectory: dir)
            : try Command.run(path, arguments, environment: ["LC_ALL": "C"], currentDirectory: dir)
        guard result.succeeded else {
            let log = (try? String(contentsOfFile: "\(dir)/server.log", encoding: .utf8)) ?? ""
            throw SandboxError(message: "\(program) failed (\(result.status)): \(result.stdout)\(result.stderr)\n\(log.suffix(2000))")
        }
    }

    /// True when every directory from `/` down to `path` lets others through (o+x).
    static func othersCanEnter(_ path: String) -> Bool {
        var current = URL(fileURLWithPath: path).standardizedFileURL.path
        while true {
            var info = stat()
            guard stat(current, &info) == 0, info.st_mode & 0o001 != 0 else { return false }
            if current == "/" { return true }
            current = (current as NSString).deletingLastPathComponent
        }
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw SandboxError(message: "no free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Starts one PostgreSQL server before a suite's tests and removes it after them all; the
/// suite's tests find it with `PostgresScope.server(name)`.
public struct PostgresScope: SuiteTrait, TestScoping {
    public let name: String
    public var isRecursive: Bool { false }

    private static let servers = NSLock.Guarded<[String: PostgresServer]>([:])

    /// The server the scope called `name` started.
    public static func server(_ name: String) throws -> PostgresServer {
        guard let server = servers.read({ $0[name] }) else { throw SandboxError(message: "no PostgreSQL server '\(name)' is running") }
        return server
    }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        let base = ProcessInfo.processInfo.environment["JOBFLEET_TEST_DIR"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-tests").path
        let server = try PostgresServer(base: base)
        Self.servers.write { $0[name] = server }
        defer {
            Self.servers.write { $0[name] = nil }
            server.destroy()
        }
        try await function()
    }
}

extension Trait where Self == PostgresScope {
    /// Runs the suite with a PostgreSQL server of its own, found by `PostgresScope.server(name)`.
    public static func postgres(_ name: String) -> PostgresScope { PostgresScope(name: name) }
}

extension NSLock {
    /// A value read and changed under a lock.
    final class Guarded<Value>: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Value
        init(_ value: Value) { self.value = value }
        func read<T>(_ body: (Value) -> T) -> T { lock.withLock { body(value) } }
        func write(_ body: (inout Value) -> Void) { lock.withLock { body(&value) } }
    }
}
