#if canImport(Glibc)
import Glibc
#endif

/// The fields of `/proc/PID/stat` the agent uses: identity, liveness, CPU and memory.
struct ProcStat: Equatable {
    /// Process state letter (R, S, D, Z, T, ...).
    var state: Character
    /// Field 22: start time in clock ticks since boot. With the pid, it names a process
    /// unambiguously within one boot, even after the pid is reused.
    var startTicks: UInt64
    /// Fields 14 and 15: user and system CPU time in clock ticks.
    var cpuTicks: UInt64
    /// Field 24: resident set size in pages.
    var rssPages: UInt64

    /// Parses the text of /proc/PID/stat. The command name (field 2) may hold spaces and
    /// parentheses, so fields are counted from the last `)`.
    init?(parsing text: String) {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // rest[0] is field 3.
        func field(_ number: Int) -> Substring? {
            let index = number - 3
            return index < rest.count ? rest[index] : nil
        }
        guard let stateField = field(3), let state = stateField.first,
              let utime = field(14).flatMap({ UInt64($0) }),
              let stime = field(15).flatMap({ UInt64($0) }),
              let start = field(22).flatMap({ UInt64($0) }),
              let rss = field(24).flatMap({ Int64($0) })
        else { return nil }
        self.state = state
        self.startTicks = start
        self.cpuTicks = utime + stime
        self.rssPages = UInt64(max(rss, 0))
    }

    /// The live stat of `pid`, or nil when no such process exists.
    static func read(_ pid: pid_t) -> ProcStat? {
        FileIO.readText("/proc/\(pid)/stat").flatMap(ProcStat.init(parsing:))
    }

    /// True when the process is gone or only a zombie waiting to be reaped.
    var isDead: Bool { state == "Z" || state == "X" }

    static let clockTicksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    static let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))
}

/// The kernel's boot id: different after every reboot, so recorded pids from an earlier boot
/// are never mistaken for live processes.
///
/// `JOBFLEET_BOOT_ID` replaces it where "hosts" share one kernel (containers, the sandbox's
/// hosts): there a host's start is whatever started its agent after all its processes ended,
/// and its own boot id (set by what starts it) tells the agent so.
enum BootID {
    static var current: String? {
        if let own = getenv("JOBFLEET_BOOT_ID").map({ String(cString: $0).trimmed }), !own.isEmpty { return own }
        return kernel
    }

    /// The running kernel's boot id, whatever the environment says.
    static var kernel: String? {
        FileIO.readText("/proc/sys/kernel/random/boot_id").map { $0.trimmed }
    }
}
