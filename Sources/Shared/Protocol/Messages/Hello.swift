#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `hello` parameters: who is asking (for the agent's log only).
public struct HelloRequest: Codable, Sendable, Equatable {
    /// Free-form client name and version, e.g. `jobfleet 0.1.0`.
    public var client: String?
    /// The manifest's `java_home` for this host: where the agent looks for java after
    /// `$BK_HOME/service/java` and `$BK_HOME/common/java` (see `HostFacts.javaPath`).
    public var javaHome: String?
    /// Accounts the controller means to run services as; the agent answers whether it can
    /// (`HostFacts.accounts`). Absent from controllers older than the field.
    public var accounts: [String]?
    /// The Consul agent the host's services will use, when the release's line needs one; the
    /// agent asks it who it is (`HostFacts.consul`). Absent from controllers older than the field.
    public var consul: ConsulEndpoint?
    /// A hello from `client`, with the host's `javaHome`, asking about `accounts` and `consul`.
    public init(client: String? = nil, javaHome: String? = nil, accounts: [String]? = nil, consul: ConsulEndpoint? = nil) {
        self.client = client
        self.javaHome = javaHome
        self.accounts = accounts
        self.consul = consul
    }
}

/// Whether the agent can start services as one account, as it read /etc/passwd and /etc/group.
public struct AccountFacts: Codable, Sendable, Equatable {
    /// The account's name, as asked.
    public var name: String
    /// Its uid, when the account exists.
    public var uid: UInt32?
    /// Its primary group's id, when the account exists.
    public var gid: UInt32?
    /// Its primary group's name, when /etc/group names it.
    public var group: String?
    /// Why services cannot run as it (no such account, uid 0 under another name, an agent
    /// that is not root and is another account); nil when they can.
    public var problem: String?
    /// Facts about the account `name`.
    public init(name: String, uid: UInt32? = nil, gid: UInt32? = nil, group: String? = nil, problem: String? = nil) {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.group = group
        self.problem = problem
    }
}

/// `hello` result: the agent and the host it runs on.
public struct HelloResult: Codable, Sendable, Equatable {
    /// The agent process.
    public var agent: AgentInfo
    /// Facts about the host.
    public var host: HostFacts
    /// Builds a hello result.
    public init(agent: AgentInfo, host: HostFacts) {
        self.agent = agent
        self.host = host
    }
}

/// The agent process answering.
public struct AgentInfo: Codable, Sendable, Equatable {
    /// JobFleet version of the agent binary.
    public var version: String
    /// Protocol versions it accepts.
    public var protocolVersions: [Int]
    /// Its process id.
    public var pid: Int32
    /// When this agent process started.
    public var startedAt: Date
    /// The BK_HOME it serves.
    public var bkHome: String
    /// SHA-256 of the binary this agent process runs, hashed at its first `hello` (in `hello` only;
    /// absent from agents older than the field). The controller compares it with its own
    /// agent build instead of hashing the file on the host at every connection.
    public var binarySHA256: String?
    /// The host's key for revision fingerprints (64 hex digits; in `hello` only). Revisions the
    /// controller computes for this host are HMACs under it, so they reveal nothing about the
    /// secrets in a spec to whoever reads them without the key.
    public var revisionKey: String?
    /// Builds agent info.
    public init(version: String, protocolVersions: [Int], pid: Int32, startedAt: Date, bkHome: String,
                binarySHA256: String? = nil) {
        self.version = version
        self.protocolVersions = protocolVersions
        self.pid = pid
        self.startedAt = startedAt
        self.bkHome = bkHome
        self.binarySHA256 = binarySHA256
    }
}

/// What the controller needs to know about a host before deploying to it.
public struct HostFacts: Codable, Sendable, Equatable {
    /// The host's own name (uname nodename).
    public var hostname: String
    /// Kernel release (uname release).
    public var kernel: String
    /// Online CPUs.
    public var cpus: Int
    /// Total memory in bytes.
    public var memoryBytes: UInt64
    /// Memory available to new processes in bytes (MemAvailable).
    public var memoryAvailableBytes: UInt64
    /// Free bytes for an unprivileged user on the file system holding BK_HOME.
    public var diskFreeBytes: UInt64
    /// Size of that file system in bytes.
    public var diskTotalBytes: UInt64
    /// `java -version`'s version string (e.g. `17.0.15`), or nil when java is missing.
    public var javaVersion: String?
    /// Why the java version is unknown, when it is.
    public var javaError: String?
    /// Kernel boot id: changes on every reboot.
    public var bootId: String?
    /// The java program a service whose command starts with `java` runs here: the first of
    /// `$BK_HOME/service/java/bin/java`, `$BK_HOME/common/java/bin/java`, the hello's
    /// `javaHome/bin/java` that is executable, else `java` from the agent's PATH. `javaVersion`
    /// is that program's. Absent from agents older than the search.
    public var javaPath: String?
    /// Where `javaPath` was found: `$BK_HOME/service/java`, `$BK_HOME/common/java`,
    /// `java_home` or `PATH`.
    public var javaSource: String?
    /// The accounts `hello` asked about, in the order asked (absent from older agents).
    public var accounts: [AccountFacts]?
    /// The Consul agent `hello` asked about, as found (absent when not asked, and from older agents).
    public var consul: ConsulAgentFacts?
    /// Builds host facts.
    public init(hostname: String, kernel: String, cpus: Int, memoryBytes: UInt64, memoryAvailableBytes: UInt64,
                diskFreeBytes: UInt64, diskTotalBytes: UInt64, javaVersion: String?, javaError: String?,
                bootId: String?) {
        self.hostname = hostname
        self.kernel = kernel
        self.cpus = cpus
        self.memoryBytes = memoryBytes
        self.memoryAvailableBytes = memoryAvailableBytes
        self.diskFreeBytes = diskFreeBytes
        self.diskTotalBytes = diskTotalBytes
        self.javaVersion = javaVersion
        self.javaError = javaError
        self.bootId = bootId
    }
}
