/// How to run one service, as the controller rendered it from the catalog and the manifest.
///
/// The agent runs `command` as given: no shell, no templating, no placeholder expansion.
public struct ServiceSpec: Codable, Sendable, Equatable {
    /// Service name, e.g. `job-manage`: lowercase letters, digits, `.`, `_`, `-`.
    public var name: String
    /// Whether the service should run. Defaults to running.
    public var desired: DesiredState
    /// Program and arguments. A program without `/` is looked up on the agent's PATH.
    public var command: [String]
    /// Environment added to (and overriding) the agent's own environment.
    public var env: [String: String]
    /// Working directory; defaults to `$BK_HOME/job/backend/<name>`.
    public var workingDirectory: String?
    /// The release (`releases/<id>`) this spec is meant to run; reported in status.
    public var release: String?
    /// How to tell the service is healthy; nil means process liveness only.
    public var health: HealthCheckSpec?
    /// Seconds between SIGTERM and SIGKILL when stopping. Default 60.
    public var stopTimeoutSeconds: Double
    /// Backoff and give-up rules for unexpected exits.
    public var restart: RestartPolicy
    /// The service's own log file; defaults to `$BK_HOME/logs/job/<name>/<name>.log`.
    public var logFile: String?
    /// The file its logging writes errors to; defaults to `error.log` beside `logFile`, where
    /// bk-job's logback configuration puts it.
    public var errorLogFile: String?
    /// Opaque fingerprint of everything the controller rendered for this service (release,
    /// configuration files, command). Stored with the spec and reported back in status, so
    /// the controller can tell whether a running instance is current.
    public var revision: String?
    /// The manifest's `java_home` for this host. When `command` starts with the bare word
    /// `java`, the agent runs the first executable of `$BK_HOME/service/java/bin/java`,
    /// `$BK_HOME/common/java/bin/java`, `javaHome/bin/java`, else `java` from its PATH (the
    /// order of bk-job's ops script, then the operator's choice); any other program is run as given.
    public var javaHome: String?
    /// The version of the bk-job release this spec runs (the release's `VERSION`), for status.
    /// Not part of what runs: `runDefinition` and the revision leave it out.
    public var version: String?
    /// The account the service runs as (its uid, primary group and supplementary groups, read
    /// from the host's /etc/passwd and /etc/group when it starts). Nil in specs from before the
    /// field: those run as the agent's own user, as they always did.
    public var user: String?
    /// The open-files limit (`RLIMIT_NOFILE`, soft and hard) the service starts with; nil
    /// keeps the agent's own.
    public var openFiles: Int?
    /// What the agent waits for before each start of this service (empty: starts at once).
    /// Part of what runs, so a changed gate is a changed definition like any other.
    public var startGates: [StartGate] = []

    /// A spec with defaults for everything but name and command.
    public init(name: String, command: [String], desired: DesiredState = .running, env: [String: String] = [:],
                workingDirectory: String? = nil, release: String? = nil, health: HealthCheckSpec? = nil,
                stopTimeoutSeconds: Double = 60, restart: RestartPolicy = RestartPolicy(), logFile: String? = nil) {
        self.name = name
        self.desired = desired
        self.command = command
        self.env = env
        self.workingDirectory = workingDirectory
        self.release = release
        self.health = health
        self.stopTimeoutSeconds = stopTimeoutSeconds
        self.restart = restart
        self.logFile = logFile
    }

    enum CodingKeys: String, CodingKey {
        case name, desired, command, env, workingDirectory, release, health, stopTimeoutSeconds, restart, logFile
        case errorLogFile, javaHome, revision, version, user, openFiles, startGates
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        desired = try c.decodeIfPresent(DesiredState.self, forKey: .desired) ?? .running
        command = try c.decode([String].self, forKey: .command)
        env = try c.decodeIfPresent([String: String].self, forKey: .env) ?? [:]
        workingDirectory = try c.decodeIfPresent(String.self, forKey: .workingDirectory)
        release = try c.decodeIfPresent(String.self, forKey: .release)
        health = try c.decodeIfPresent(HealthCheckSpec.self, forKey: .health)
        stopTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .stopTimeoutSeconds) ?? 60
        restart = try c.decodeIfPresent(RestartPolicy.self, forKey: .restart) ?? RestartPolicy()
        logFile = try c.decodeIfPresent(String.self, forKey: .logFile)
        errorLogFile = try c.decodeIfPresent(String.self, forKey: .errorLogFile)
        javaHome = try c.decodeIfPresent(String.self, forKey: .javaHome)
        revision = try c.decodeIfPresent(String.self, forKey: .revision)
        version = try c.decodeIfPresent(String.self, forKey: .version)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        openFiles = try c.decodeIfPresent(Int.self, forKey: .openFiles)
        startGates = try c.decodeIfPresent([StartGate].self, forKey: .startGates) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(desired, forKey: .desired)
        try c.encode(command, forKey: .command)
        try c.encode(env, forKey: .env)
        try c.encodeIfPresent(workingDirectory, forKey: .workingDirectory)
        try c.encodeIfPresent(release, forKey: .release)
        try c.encodeIfPresent(health, forKey: .health)
        try c.encode(stopTimeoutSeconds, forKey: .stopTimeoutSeconds)
        try c.encode(restart, forKey: .restart)
        try c.encodeIfPresent(logFile, forKey: .logFile)
        try c.encodeIfPresent(errorLogFile, forKey: .errorLogFile)
        try c.encodeIfPresent(javaHome, forKey: .javaHome)
        try c.encodeIfPresent(revision, forKey: .revision)
        try c.encodeIfPresent(version, forKey: .version)
        try c.encodeIfPresent(user, forKey: .user)
        try c.encodeIfPresent(openFiles, forKey: .openFiles)
        // Absent when empty, so a spec without gates (and its revision) stays as it was.
        if !startGates.isEmpty { try c.encode(startGates, forKey: .startGates) }
    }

    /// The same spec with `desired` and `version` ignored: what a running process was started
    /// from. Two specs that differ only in those need no restart.
    public var runDefinition: ServiceSpec {
        var copy = self
        copy.desired = .running
        copy.version = nil
        return copy
    }
}

/// Whether a service should run.
public enum DesiredState: String, Codable, Sendable {
    /// Keep it running; restart it when it exits.
    case running
    /// Keep it stopped.
    case stopped
}

/// Restart rules after an unexpected exit: exponential backoff, then `failed`.
public struct RestartPolicy: Codable, Sendable, Equatable {
    /// Delay before the first restart.
    public var initialBackoffSeconds: Double
    /// The delay doubles per consecutive failure up to this.
    public var maxBackoffSeconds: Double
    /// This many unexpected exits within `windowSeconds` mark the service `failed`.
    public var maxFailures: Int
    /// The window over which failures are counted.
    public var windowSeconds: Double
    /// A run this long resets the backoff to `initialBackoffSeconds`.
    public var resetAfterSeconds: Double

    /// The default policy: 1 s doubling to 60 s; 5 failures in 5 minutes give up; 60 s up resets.
    public init(initialBackoffSeconds: Double = 1, maxBackoffSeconds: Double = 60, maxFailures: Int = 5,
                windowSeconds: Double = 300, resetAfterSeconds: Double = 60) {
        self.initialBackoffSeconds = initialBackoffSeconds
        self.maxBackoffSeconds = maxBackoffSeconds
        self.maxFailures = maxFailures
        self.windowSeconds = windowSeconds
        self.resetAfterSeconds = resetAfterSeconds
    }

    enum CodingKeys: String, CodingKey {
        case initialBackoffSeconds, maxBackoffSeconds, maxFailures, windowSeconds, resetAfterSeconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RestartPolicy()
        initialBackoffSeconds = try c.decodeIfPresent(Double.self, forKey: .initialBackoffSeconds) ?? d.initialBackoffSeconds
        maxBackoffSeconds = try c.decodeIfPresent(Double.self, forKey: .maxBackoffSeconds) ?? d.maxBackoffSeconds
        maxFailures = try c.decodeIfPresent(Int.self, forKey: .maxFailures) ?? d.maxFailures
        windowSeconds = try c.decodeIfPresent(Double.self, forKey: .windowSeconds) ?? d.windowSeconds
        resetAfterSeconds = try c.decodeIfPresent(Double.self, forKey: .resetAfterSeconds) ?? d.resetAfterSeconds
    }
}

/// Bounds both sides check on a spec's numbers.
public enum SpecLimits {
    /// `openFiles`: at least enough for a JVM's own files, at most Linux's default
    /// `fs.nr_open` (a larger value fails at every start).
    public static let openFiles = 1024...1_048_576
    /// bk-job's `LimitNOFILE` in upstream's systemd units.
    public static let defaultOpenFiles = 204_800
}
