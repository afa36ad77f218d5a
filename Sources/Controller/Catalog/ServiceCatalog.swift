import Shared

/// The service catalog (`deploy/bk-job/catalog.yaml`): for every service of a bk-job release,
/// where its jar and script are, its port, JVM options, configuration template, health check
/// and dependencies. Data, not code, because the service set changes between releases.
public struct ServiceCatalog: Sendable {
    /// The catalog file (absolute).
    public var path: String
    /// Schema version of the file.
    public var version: Int
    /// The project directory under BK_HOME (`job`).
    public var project: String
    /// The upstream runbook's start sequence.
    public var runbook: [String]
    /// Every service, in catalog order.
    public var services: [ServiceDefinition]
    /// The releases this catalog describes (`applies_to`); nil for any release.
    public var line: CatalogLine? = nil
    /// Upstream's declarative service list in the release (`#job#deploy.yml`), relative to the
    /// release directory: when the release ships it, services' JVM options come from it.
    public var deployFile: String? = nil
    /// Services earlier releases had and this line does not, with why (`removed`).
    public var removed: [String: String] = [:]
    /// The Java each version of the line runs on (`java_runtime`); empty when not stated.
    public var javaRuntimes: [JavaRuntime] = []
    /// True when the line's services find job-config and each other through a Consul agent on
    /// their host (`consul: required`), as every real bk-job line does; false (`consul: none`,
    /// or the field absent) for a line that runs without Consul.
    public var needsConsul = false

    /// The service called `name`.
    public func service(_ name: String) -> ServiceDefinition? { services.first { $0.name == name } }
}

/// One service of the catalog. String fields may hold `__KEY__` placeholders, rendered per host.
public struct ServiceDefinition: Sendable, Equatable {
    public var name: String
    /// The jar, relative to both the release directory and `$BK_HOME/<project>`.
    public var jar: String
    /// The ops script, relative like `jar`.
    public var script: String?
    /// The HTTP port (a placeholder such as `__BK_JOB_MANAGE_SERVER_PORT__` or a number).
    public var port: String
    /// Rendered configuration files.
    public var configs: [ConfigFile]
    /// The java executable.
    public var java: String
    /// JVM options, before `-jar`.
    public var javaOptions: [String]
    /// The catalog line of each of `javaOptions` (its own or `defaults`'), for messages.
    public var javaOptionLines: [String: Int] = [:]
    /// Extra environment for the process.
    public var environment: [String: String]
    /// Services that must be healthy (on their target release) before this one starts.
    public var dependsOn: [String]
    public var health: HealthSpec
    public var startTimeout: Duration
    public var stopTimeout: Duration
    public var restartBackoffInitial: Duration
    public var restartBackoffMax: Duration
    /// The open-files limit the service starts with (`limits.nofile`; upstream's units say
    /// `LimitNOFILE=204800`).
    public var openFiles: Int = SpecLimits.defaultOpenFiles
    /// Line of the service's entry in the catalog, for messages.
    public var line: Int?
    /// The service's own log, relative to the log folder `-Djob.log.dir` names
    /// (`$BK_HOME/logs/<project>`): `job-manage/manage.log` in bk-job's logback configuration.
    /// nil: `<name>/<name>.log`.
    public var logFile: String? = nil
    /// Its error log, relative like `logFile`; nil: `error.log` beside `logFile`.
    public var errorLog: String? = nil

    /// `logFile` with its default.
    public var logFileOrDefault: String { logFile ?? "\(name)/\(name).log" }

    /// A configuration file rendered from a template in the release.
    public struct ConfigFile: Sendable, Equatable {
        /// Template path, relative to the release directory.
        public var template: String
        /// Destination, relative to BK_HOME.
        public var dest: String
        /// The service whose hosts hold the file instead of this one's (`served_by`): job-config
        /// serves `etc/job/job-X/job-X.yml` to job-X from its own host.
        public var servedBy: String? = nil

        /// The destination upstream's render_tpl gives a template named like
        /// `#etc#job#job-manage#job-manage.yml` (`#` is `/` under BK_HOME); nil for other names.
        public static func conventionalDest(of template: String) -> String? {
            let name = template.split(separator: "/").last.map(String.init) ?? template
            guard name.hasPrefix("#"), name.count > 1 else { return nil }
            return name.dropFirst().replacingOccurrences(of: "#", with: "/")
        }
    }
}

/// How to tell whether a service instance is healthy.
public struct HealthSpec: Sendable, Equatable {
    public enum Check: Sendable, Equatable {
        /// GET `path` on the service's port (or `port`), with basic auth when `user` is set;
        /// with `expectBodyStatus`, the JSON body's `status` must say it too.
        case http(path: String, port: String?, user: String?, password: String?, expectStatus: Int,
                  expectBodyStatus: String? = nil)
        /// A TCP connect to the service's port (or `port`).
        case tcp(port: String?)
        /// A command whose exit status 0 means healthy.
        case command([String])
    }

    public var check: Check
    /// No verdict is taken this long after start.
    public var startGrace: Duration
    public var interval: Duration
    public var timeout: Duration
    /// Consecutive passes to become healthy.
    public var healthyThreshold: Int
    /// Consecutive failures to become unhealthy.
    public var unhealthyThreshold: Int
}
