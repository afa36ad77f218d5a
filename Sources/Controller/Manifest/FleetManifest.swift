import Shared

/// A fleet manifest (`fleet.yaml`): which hosts exist, how to reach them, which release to
/// deploy and which services run where. Loaded and validated by `FleetManifest.load(path:)`.
public struct FleetManifest: Sendable {
    /// The manifest file this was loaded from (absolute).
    public var path: String
    /// The fleet's name, used in history and leases.
    public var name: String
    /// Default BK_HOME for hosts that don't set their own.
    public var bkHome: String
    /// How to reach the hosts.
    public var ssh: SSHSettings
    /// Every host, in manifest order.
    public var hosts: [Host]
    /// The release to deploy, if the manifest names one.
    public var release: Release?
    /// The service catalog file (absolute), if named.
    public var catalogPath: String?
    /// Placement: which hosts run which service, in manifest order.
    public var services: [Placement]
    /// The account every service runs as (`run_as`), when the manifest names one; see
    /// `Host.runAs` for the default.
    public var runAs: String?
    /// The open-files limit of every service (`limits.nofile`), overriding the catalog's.
    public var openFiles: Int?
    /// The journal (`journal:`): a postgresql:// URL, or a SQLite file made absolute; nil for
    /// the default. `--journal` and `JOBFLEET_JOURNAL` come first.
    public var journal: String? = nil

    /// The Consul agent of every host (`consul: { http_port, scheme }`, default
    /// `http://127.0.0.1:8500`); a host's `consul_http_port` overrides the port.
    public var consul = FleetManifest.defaultConsul

    /// Consul's own default: HTTP on port 8500.
    public static let defaultConsul = ConsulEndpoint(scheme: "http", port: 8500)

    /// One host of the fleet.
    public struct Host: Sendable, Equatable {
        /// The host's name in this manifest (what operators type after `--host`).
        public var name: String
        /// Address to connect to: IP literal or DNS name.
        public var address: String
        /// SSH port.
        public var port: Int
        /// BK_HOME on this host.
        public var bkHome: String
        /// Login user on this host (the fleet's `ssh.user` unless the host overrides it).
        public var user: String
        /// Line of the host's entry in the manifest, for messages.
        public var line: Int?
        /// A JDK folder on the host (`java_home`, the host's or the fleet's): where the agent
        /// looks for java after `$BK_HOME/service/java` and `$BK_HOME/common/java`.
        public var javaHome: String? = nil
        /// The account services run as on this host: the manifest's `run_as`, else `blueking`
        /// (upstream's service account) when the login user is root, else the login user,
        /// since an agent that is not root can start services only as itself.
        public var runAs: String
        /// The Consul agent the manifest gives this host (the fleet's `consul`, with the host's
        /// `consul_http_port`), whether or not the release needs one. Rendered into every
        /// template as `CONSUL_HTTP_PORT` and `CONSUL_SCHEME`.
        public var consulSetting = FleetManifest.defaultConsul
        /// The Consul agent this host's services register with and find job-config through,
        /// when the release's catalog line needs Consul (`consul: required`); nil when it does
        /// not (or before a catalog was read: `DesiredFleet.build` sets it). Then a Consul agent
        /// must answer here before services of the line start on the host.
        public var consul: ConsulEndpoint?

        public init(name: String, address: String, port: Int = 22, bkHome: String, user: String, line: Int? = nil,
                    runAs: String? = nil) {
            self.name = name
            self.address = address
            self.port = port
            self.bkHome = bkHome
            self.user = user
            self.line = line
            self.runAs = runAs ?? Self.defaultRunAs(loginUser: user)
        }

        /// `blueking` for a root login, else the login user itself.
        public static func defaultRunAs(loginUser: String) -> String {
            loginUser == "root" ? "blueking" : loginUser
        }

        /// `name (address:port)`, the way hosts are named in messages.
        public var label: String { "\(name) (\(address):\(port))" }
    }

    /// How the controller authenticates and checks host keys.
    public struct SSHSettings: Sendable, Equatable {
        public var user: String
        /// Private key files to try, in order (absolute, `~` expanded).
        public var identities: [String]
        /// Also try keys held by ssh-agent (`SSH_AUTH_SOCK`).
        public var useAgent: Bool
        /// known_hosts file (absolute).
        public var knownHosts: String
        public var hostKeys: HostKeyPolicy
        public var connectTimeout: Duration
        /// Default bound on one remote command.
        public var commandTimeout: Duration
        /// How long an agent may take to answer a request that does not wait for a service
        /// (everything but `stop`/`restart`, which wait up to `commandTimeout`).
        public var agentTimeout: Duration = .seconds(15)
        /// How many hosts are worked on at once.
        public var forks: Int
    }

    /// What to do with a host key that known_hosts does not list.
    public enum HostKeyPolicy: String, Sendable, Equatable {
        /// Refuse unknown and changed keys (the default).
        case strict
        /// Record unknown keys; still refuse changed ones.
        case acceptNew = "accept-new"
    }

    /// The release directory and env file.
    public struct Release: Sendable, Equatable {
        /// The release (absolute): upstream's tarball, the folder it unpacks to, or the release
        /// root itself; `ReleaseSource.resolve` finds the root.
        public var dir: String
        /// The env files (absolute), read in order: BlueKing's global env file, then `job.env`.
        public var envFiles: [String] = []
        /// Env keys that hold secrets although their names do not say so (`release.secret_keys`).
        public var secretKeys: [String] = []
        /// What a placeholder without a value does (`release.undefined`).
        public var undefined: UndefinedPolicy = .error
        /// `stable` or `lite` (`release.mode`): picks the catalog of a 3.8+ release.
        public var mode = "stable"
        /// JVM options appended to every service's own (`release.java_opts`); the JVM takes the
        /// last `-Xmx`, so these can size heaps for a small machine.
        public var javaOptions: [String] = []
        /// The manifest line of each of `javaOptions`, for messages.
        public var javaOptionLines: [String: Int] = [:]
        /// Line of `release.dir` in the manifest, for messages.
        public var dirLine: Int?
    }

    /// The hosts one service runs on.
    public struct Placement: Sendable, Equatable {
        public var service: String
        public var hosts: [String]
        public var line: Int?
    }

    /// The host entry named `name`.
    public func host(named name: String) -> Host? { hosts.first { $0.name == name } }

    /// The hosts of `service`'s placement, in manifest order.
    public func hosts(of service: String) -> [Host] {
        guard let placement = services.first(where: { $0.service == service }) else { return [] }
        return placement.hosts.compactMap(host(named:))
    }
}
