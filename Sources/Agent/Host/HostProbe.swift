import Shared
#if canImport(Glibc)
import Glibc
#endif

/// Gathers the host facts reported by `hello`.
enum HostProbe {
    /// Facts that are cheap to read each time; the java version comes from ``JavaVersion``.
    static func facts(bkHome: String, java: JavaVersion.Result, found: JavaLocator.Found? = nil) -> HostFacts {
        var names = utsname()
        uname(&names)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        let memory = meminfo()
        var disk = statvfs()
        let haveDisk = statvfs(bkHome, &disk) == 0
        var facts = HostFacts(
            hostname: text(names.nodename),
            kernel: text(names.release),
            cpus: sysconf(Int32(_SC_NPROCESSORS_ONLN)),
            memoryBytes: memory["MemTotal"] ?? 0,
            memoryAvailableBytes: memory["MemAvailable"] ?? 0,
            diskFreeBytes: haveDisk ? UInt64(disk.f_bavail) * UInt64(disk.f_frsize) : 0,
            diskTotalBytes: haveDisk ? UInt64(disk.f_blocks) * UInt64(disk.f_frsize) : 0,
            javaVersion: java.version,
            javaError: java.error,
            bootId: BootID.current)
        facts.javaPath = found?.program
        facts.javaSource = found?.source.rawValue
        return facts
    }

    /// /proc/meminfo values in bytes, by key.
    static func meminfo() -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in (FileIO.readText("/proc/meminfo") ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, parts[0].hasSuffix(":"), let number = UInt64(parts[1]) else { continue }
            values[String(parts[0].dropLast())] = parts.count > 2 && parts[2] == "kB" ? number * 1024 : number
        }
        return values
    }
}

/// `java -version`, run once per agent process and cached by the caller: a JVM start costs
/// tens of milliseconds of CPU, too much for every `hello`.
enum JavaVersion {
    struct Result: Sendable, Equatable {
        var version: String?
        var error: String?
    }

    /// Runs `java -version` with output to a new file in the agent's checked scratch directory
    /// and extracts the quoted version.
    static func detect(paths: AgentPaths, environment: [String: String], program: String = "java") -> Result {
        let name = "java-version.out"
        let scratch: DirectoryHandle
        let output: Int32
        do {
            scratch = try paths.openScratch()
            try scratch.remove(name)
            output = try scratch.openFile(name, O_RDWR | O_CREAT | O_EXCL, mode: 0o600)
        } catch {
            return Result(error: "cannot run java -version: \(error)")
        }
        defer {
            close(output)
            try? scratch.remove(name)
        }
        let request = SpawnRequest(argv: [program, "-version"], environment: environment, output: output)
        do {
            guard let outcome = try Spawner.runToCompletion(request, timeout: 20) else {
                return Result(error: "\(program) -version did not finish within 20 s")
            }
            let text = (try? FileIO.readAll(output)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            if let version = parse(text) { return Result(version: version) }
            return Result(error: "\(program) -version ended with \(outcome) and printed no version: \(text.prefix(200))")
        } catch {
            if program != "java" { return Result(error: "cannot run \(program): \(error)") }
            return Result(error: "java not found on the agent's PATH (\(error)); install a JRE")
        }
    }

    /// The first double-quoted string of `java -version` output: `openjdk version "17.0.15" ...`.
    static func parse(_ text: String) -> String? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains("version") }),
              let open = line.firstIndex(of: "\"") else { return nil }
        let rest = line[line.index(after: open)...]
        guard let close = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<close])
    }
}
