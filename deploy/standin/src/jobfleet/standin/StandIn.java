package jobfleet.standin;

import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A stand-in for one bk-job Spring Boot service. It behaves like the real one where
 * deployment cares: reads the rendered config, fetches its configuration from job-config
 * (fail-fast), listens on its port, answers {@code /actuator/health} after a start-up delay,
 * logs like Spring Boot under {@code job.log.dir}, and drains on SIGTERM before exiting 143.
 *
 * Two layouts. JobFleet's own: one {@code application-X.yml} per service, job-config serving
 * those files, everything behind basic auth. bk-job's own, chosen by a launch line that passes
 * {@code -DBK_JOB_CONFIG_DIR} as bk-job's {@code deploy.yml} does for every service:
 * job-config serves {@code job-common/} and {@code job-X/job-X.yml} from that directory, a
 * service needs its own {@code job-X/job-X.yml} from job-config, and {@code /actuator/health}
 * is open to anyone.
 *
 * Start-up CPU matters (dozens run on one small machine): no lambdas, no reflection, no
 * java.net.http, and the main thread doubles as the lifecycle timer.
 */
public final class StandIn {
    private static final long T0 = System.nanoTime();
    private static final String DEFAULT_LOG_DIR = "/data/bkee/logs/job";
    private static final String SPRING = "o.s.boot.SpringApplication";
    private static final String WEB = "o.s.b.w.embedded.tomcat.TomcatWebServer";
    private static final String CONFIG_DIR_PROPERTY = "BK_JOB_CONFIG_DIR";
    /** System properties under these prefixes override the config files, as in Spring. */
    private static final String[] OVERRIDABLE = {"server.", "management.", "spring.", "job."};
    /** How often a held start-up looks for its hold-while-file. */
    private static final long HOLD_POLL_NANOS = 100_000_000L;

    private final Identity id;
    private final SpringLog log;
    private volatile boolean stopping;
    /** Known once the knobs are read; SIGTERM before that drains for the default. */
    private volatile int drainSeconds = 2;
    private Web web;
    /** The host's Consul agent, when the configuration names one. */
    private volatile ConsulClient consul;
    /** The id this service registered with Consul under, once it did. */
    private volatile String registeredId;

    private StandIn(Identity id, SpringLog log) {
        this.id = id;
        this.log = log;
    }

    public static void main(String[] args) {
        Identity id = Identity.load();
        if (id == null) {
            System.err.println("stand-in: this jar names no service (manifest attribute JobFleet-Service);"
                    + " rebuild it with deploy/standin/build");
            Runtime.getRuntime().halt(2);
        }
        String root = System.getProperty("job.log.dir");
        if (root == null || root.trim().isEmpty()) root = DEFAULT_LOG_DIR;
        SpringLog log;
        try {
            // The same test as run() makes for bk-job's layout: deploy.yml passes BK_JOB_CONFIG_DIR.
            log = new SpringLog(new File(root), id.service, System.getProperty(CONFIG_DIR_PROPERTY) != null);
        } catch (IOException e) {
            // Without a log there is nowhere else to say it.
            System.err.println(id.service + ": cannot write logs under " + root + ": " + e.getMessage());
            Runtime.getRuntime().halt(1);
            return;
        }
        new StandIn(id, log).run();
    }

    private void run() {
        Runtime.getRuntime().addShutdownHook(new Thread("SpringApplicationShutdownHook") {
            @Override
            public void run() {
                drain();
            }
        });
        log.info(id.applicationLogger, "Starting " + id.applicationClass + " v" + id.version + " using Java "
                + System.getProperty("java.version") + " with PID " + ProcessHandle.current().pid() + " ("
                + System.getProperty("java.class.path") + " started by " + System.getProperty("user.name")
                + " in " + System.getProperty("user.dir") + ")");

        Yaml config = loadConfig();
        Knobs knobs;
        try {
            knobs = new Knobs(config);
        } catch (Knobs.BadKnob e) {
            fail(e.getMessage(), null);
            return;
        }
        drainSeconds = knobs.drainSeconds;
        String profile = System.getProperty("spring.profiles.active");
        if (profile == null) profile = config.get("spring.profiles.active");
        if (profile == null || profile.isEmpty()) {
            profile = "default";
            log.info(id.applicationLogger, "No active profile set, falling back to 1 default profile: \"default\"");
        } else {
            String[] active = profile.split(",");
            StringBuilder quoted = new StringBuilder();
            for (String p : active) {
                if (quoted.length() > 0) quoted.append(", ");
                quoted.append('"').append(p.trim()).append('"');
            }
            log.info(id.applicationLogger, "The following " + active.length + " profile"
                    + (active.length == 1 ? " is" : "s are") + " active: " + quoted);
        }
        if (knobs.exitAtOnce) {
            fail("Stand-in knob exit-at-once is set: failing at start-up", null);
        }

        // bk-job's deploy.yml passes -DBK_JOB_CONFIG_DIR to every service; JobFleet's own layout never does.
        boolean bkJobLayout = System.getProperty(CONFIG_DIR_PROPERTY) != null;
        String application = config.get("spring.application.name");
        if (application == null || application.trim().isEmpty()) application = id.service;
        application = application.trim();

        String user = config.get("spring.security.user.name");
        String password = config.get("spring.security.user.password");
        if (user == null || user.isEmpty() || password == null || password.isEmpty()) {
            user = "user";
            password = UUID.randomUUID().toString();
            // Spring prints the generated password; a stand-in keeps it out of the log.
            log.warn("o.s.b.a.s.s.UserDetailsServiceAutoConfiguration", "spring.security.user.name/password not set"
                    + " in the config: using a generated security password (not shown)");
        }

        try {
            consul = ConsulClient.of(config, log);
        } catch (IllegalArgumentException e) {
            fail(e.getMessage(), null);
        }

        String configEnabled = config.get("spring.cloud.config.enabled");
        if (id.isConfigServer()) {
            // the config server itself fetches nothing
        } else if (configEnabled != null && configEnabled.trim().equalsIgnoreCase("false")) {
            log.info(ConfigClient.LOGGER, "spring.cloud.config.enabled is false (" + config.where("spring.cloud.config.enabled")
                    + "): not fetching configuration from job-config");
        } else {
            String cu = config.get("spring.cloud.config.username");
            String cp = config.get("spring.cloud.config.password");
            ConfigClient client = new ConfigClient(log, application, profile, cu != null ? cu : user,
                    cp != null ? cp : password);
            try {
                List<String> uris;
                String discovery = config.get("spring.cloud.config.discovery.enabled");
                if (discovery != null && discovery.trim().equalsIgnoreCase("true")) {
                    String serviceId = config.get("spring.cloud.config.discovery.service-id");
                    uris = findConfigServer(serviceId == null || serviceId.isEmpty() ? "configserver" : serviceId.trim(),
                            knobs);
                } else {
                    uris = ConfigClient.uris(config.get("spring.cloud.config.uri"));
                }
                client.fetch(uris, knobs.configAttempts, knobs.configRetryMs, bkJobLayout ? application : null);
            } catch (ConfigClient.Unreachable e) {
                log.error(ConfigClient.LOGGER, e.getMessage());
                fail("Application run failed", new String[] {
                    "java.lang.IllegalStateException: Could not locate PropertySource and the fail fast property is set, failing",
                    "\tat org.springframework.cloud.config.client.ConfigServicePropertySourceLocator.locate(ConfigServicePropertySourceLocator.java:148)",
                    "\tat org.springframework.boot.SpringApplication.run(SpringApplication.java:338)",
                    "Caused by: " + e.cause,
                });
            }
        }

        List<File> dirs = null;
        NativeRepository repository = null;
        if (id.isConfigServer()) {
            String locations = config.get("spring.cloud.config.server.native.search-locations");
            if (NativeRepository.perApplication(locations)) repository = nativeRepository(config, locations);
            else dirs = configDirs(config);
        }
        String actuatorUser = config.get("job.security.actuator.user.name");
        String actuatorPassword = config.get("job.security.actuator.user.password");
        if (actuatorUser != null && (actuatorUser.isEmpty() || actuatorPassword == null || actuatorPassword.isEmpty())) {
            actuatorUser = null;
            actuatorPassword = null;
        }
        Integer mainPort = port(config, "server.port", true);
        Integer managementPort = port(config, "management.server.port", false);
        if (managementPort != null && managementPort.equals(mainPort)) managementPort = null;
        web = new Web(id, log, new Web.Security(user, password, actuatorUser, actuatorPassword, bkJobLayout), dirs,
                repository, managementPort == null ? 0 : managementPort.intValue());
        listen(config, managementPort);
        ConsulClient.Registration registration = registration(config, application, mainPort, managementPort,
                bkJobLayout ? null : ConsulClient.Registration.basic(user, password));

        long startupAt = T0 + knobs.startupSeconds * 1_000_000_000L;
        long crashAt = knobs.crashAfterSeconds > 0 ? T0 + knobs.crashAfterSeconds * 1_000_000_000L : Long.MAX_VALUE;
        File hold = knobs.holdWhileFile == null ? null : new File(knobs.holdWhileFile);
        boolean holding = false;
        boolean announced = false;
        while (true) {
            long now = System.nanoTime();
            if (!announced && hold != null) {
                // Consulted only until health first turns UP: a running service ignores it.
                boolean present = hold.exists();
                if (present && !holding) {
                    log.info(id.applicationLogger, "Start-up held while " + hold.getPath()
                            + " exists (stand-in knob hold-while-file)");
                } else if (!present && holding) {
                    log.info(id.applicationLogger, "Start-up hold released: " + hold.getPath() + " is gone");
                }
                holding = present;
            }
            if (!announced && !holding && now - startupAt >= 0) {
                announced = true;
                if (stopping) {
                    // draining already: never claim UP again
                } else if (knobs.neverHealthy) {
                    log.warn("o.s.b.a.health.HealthEndpointSupport", "Health contributor 'standin' is DOWN"
                            + " (stand-in knob never-healthy is set)");
                } else {
                    if (registration != null) {
                        try {
                            consul.register(registration);
                            registeredId = registration.id;
                        } catch (IOException e) {
                            fail("Could not register " + registration.name + " with consul: " + e.getMessage()
                                    + " (spring.cloud.consul.discovery fails fast)", null);
                        }
                    }
                    web.state = Web.UP;
                    double took = (now - T0) / 1e9;
                    log.info(id.applicationLogger, "Started " + id.applicationClass + " in " + seconds(took)
                            + " seconds");
                }
            }
            if (now - crashAt >= 0 && !stopping) {
                fail("Unrecoverable error, the application is going down (stand-in knob crash-after-seconds="
                        + knobs.crashAfterSeconds + ")", new String[] {
                            "java.lang.IllegalStateException: simulated crash after " + knobs.crashAfterSeconds + " s",
                            "\tat jobfleet.standin.StandIn.run(StandIn.java)",
                        });
            }
            long next = Long.MAX_VALUE;
            if (!announced) next = Math.min(next, holding ? HOLD_POLL_NANOS : startupAt - now);
            if (!announced && hold != null) next = Math.min(next, HOLD_POLL_NANOS);
            if (crashAt != Long.MAX_VALUE) next = Math.min(next, crashAt - now);
            try {
                Thread.sleep(next == Long.MAX_VALUE ? 3_600_000L : Math.max(1L, next / 1_000_000L + 1));
            } catch (InterruptedException e) {
                // keep serving; only signals and knobs end the process
            }
        }
    }

    /**
     * The config servers Consul knows as passing instances of {@code serviceId}, asked
     * {@code config-attempts} times {@code config-retry-ms} apart, as Spring Cloud Config's
     * discovery does with fail-fast: none in the end throws, and the service exits.
     */
    private List<String> findConfigServer(String serviceId, Knobs knobs) throws ConfigClient.Unreachable {
        ConsulClient agent = consul;
        if (agent == null) {
            throw new ConfigClient.Unreachable("Could not locate PropertySource and the fail fast property is set, failing: "
                    + "spring.cloud.config.discovery.enabled is true but Consul is disabled or not configured"
                    + " (spring.cloud.consul.*)", "java.lang.IllegalStateException: No discovery client for " + serviceId);
        }
        String last = "";
        for (int attempt = 1; attempt <= knobs.configAttempts; attempt++) {
            try {
                List<String> found = agent.passing(serviceId);
                if (!found.isEmpty()) {
                    log.info(ConsulClient.DISCOVERY_LOGGER, "Found " + found.size() + " passing instance"
                            + (found.size() == 1 ? "" : "s") + " of " + serviceId + " in consul at " + agent.base + ": " + found);
                    return found;
                }
                last = "no instance of " + serviceId + " is passing";
            } catch (IOException e) {
                last = e.getMessage();
            }
            log.warn(ConsulClient.DISCOVERY_LOGGER, "Could not find " + serviceId + " in consul at " + agent.base
                    + " (attempt " + attempt + "/" + knobs.configAttempts + "): " + last);
            if (attempt < knobs.configAttempts && knobs.configRetryMs > 0) {
                try {
                    Thread.sleep(knobs.configRetryMs);
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
        throw new ConfigClient.Unreachable("Could not locate PropertySource and the fail fast property is set, failing: "
                + "no instance of " + serviceId + " is passing in Consul at " + agent.base + " (asked "
                + knobs.configAttempts + " time" + (knobs.configAttempts == 1 ? "" : "s") + "; last answer: " + last + ")",
                "java.lang.IllegalStateException: No instances found of configserver (" + serviceId + ")");
    }

    /** What this service registers with Consul once up, or null when it registers nothing. */
    private ConsulClient.Registration registration(Yaml config, String application, Integer mainPort,
                                                   Integer managementPort, String authorization) {
        if (consul == null || mainPort == null) return null;
        if (ConsulClient.isFalse(config.get("spring.cloud.consul.discovery.enabled"))
                || ConsulClient.isFalse(config.get("spring.cloud.consul.discovery.register"))) {
            return null;
        }
        ConsulClient.Registration r = new ConsulClient.Registration();
        String name = config.get("spring.cloud.consul.discovery.service-name");
        r.name = name == null || name.isEmpty() ? application : name.trim();
        String address = config.get("spring.cloud.consul.discovery.ip-address");
        if (address == null || address.isEmpty()) address = config.get("server.address");
        if (address == null || address.isEmpty()) address = System.getProperty("machine.ip");
        if (address == null || address.isEmpty()) address = "127.0.0.1";
        r.address = address.trim();
        r.port = mainPort.intValue();
        String path = config.get("spring.cloud.consul.discovery.health-check-path");
        if (path == null || path.isEmpty()) path = "/actuator/health";
        int healthPort = managementPort != null ? managementPort.intValue() : r.port;
        r.healthUrl = "http://" + r.address + ":" + healthPort + (path.startsWith("/") ? path : "/" + path);
        String interval = config.get("spring.cloud.consul.discovery.health-check-interval");
        if (interval != null && !interval.isEmpty()) r.interval = interval.trim();
        String critical = config.get("spring.cloud.consul.discovery.health-check-critical-timeout");
        if (critical != null && !critical.isEmpty()) r.deregisterAfter = critical.trim();
        String id = config.get("spring.cloud.consul.discovery.instance-id");
        if (id == null || id.isEmpty()) {
            id = r.name + "-" + r.address + "-" + r.port;
        } else {
            id = id.replace("${machine.ip}", r.address).replace("${server.port}", String.valueOf(r.port))
                    .replace("${spring.application.name}", application).trim();
        }
        r.id = id;
        r.authorization = authorization;
        return r;
    }

    /** Reads every file named by spring.config.additional-location (comma-separated; later wins). */
    private Yaml loadConfig() {
        String location = System.getProperty("spring.config.additional-location");
        if (location == null || location.trim().isEmpty()) {
            fail("No configuration: pass -Dspring.config.additional-location=file:///…/application-"
                    + id.service.substring(4) + ".yml", null);
        }
        Yaml merged = null;
        for (String raw : location.split(",")) {
            String loc = raw.trim();
            if (loc.isEmpty()) continue;
            File file = new File(stripFileScheme(loc));
            if (!file.isFile()) {
                fail("Config data location '" + loc + "' cannot be found (no file " + file.getPath() + ")", new String[] {
                    "org.springframework.boot.context.config.ConfigDataLocationNotFoundException: Config data location '"
                            + loc + "' cannot be found",
                });
            }
            Yaml yaml;
            try {
                yaml = Yaml.read(file.toPath());
            } catch (IOException e) {
                fail("Cannot read config " + file + ": " + e.getMessage(), null);
                return null;
            } catch (Yaml.ParseException e) {
                fail("Cannot parse config " + e.getMessage(), null);
                return null;
            }
            for (Map.Entry<String, String> e : yaml.values.entrySet()) {
                String v = e.getValue();
                if (hasPlaceholder(v)) {
                    fail("Unrendered placeholder in " + yaml.where(e.getKey()) + ": " + e.getKey() + ": " + v, null);
                }
            }
            if (merged == null) {
                merged = yaml;
            } else {
                // later files win, as Spring reads additional locations
                for (Map.Entry<String, String> e : yaml.values.entrySet()) {
                    merged.override(e.getKey(), e.getValue(), yaml.where(e.getKey()));
                }
            }
        }
        if (merged == null) fail("No configuration file in spring.config.additional-location=" + location, null);
        for (String name : System.getProperties().stringPropertyNames()) {
            for (String prefix : OVERRIDABLE) {
                if (name.startsWith(prefix)) {
                    merged.override(name, System.getProperty(name), "system property " + name);
                    break;
                }
            }
        }
        return merged;
    }

    /**
     * Resolves Spring's {@code ${NAME}} and {@code ${NAME:default}} from system properties, the
     * environment and the config, in that order; null names the first that cannot be resolved.
     */
    static String resolve(String value, Yaml config, String[] unresolved) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (true) {
            int open = value.indexOf("${", i);
            if (open < 0) break;
            int close = value.indexOf('}', open + 2);
            if (close < 0) break;
            out.append(value, i, open);
            String expr = value.substring(open + 2, close);
            int colon = expr.indexOf(':');
            String name = colon < 0 ? expr : expr.substring(0, colon);
            String v = System.getProperty(name);
            if (v == null) v = System.getenv(name);
            if (v == null) v = config.get(name);
            if (v == null && colon >= 0) v = expr.substring(colon + 1);
            if (v == null) {
                unresolved[0] = name;
                return null;
            }
            out.append(v);
            i = close + 1;
        }
        return out.append(value.substring(i)).toString();
    }

    /** job-config in bk-job's layout: the search locations with ${BK_JOB_CONFIG_DIR} resolved. */
    private NativeRepository nativeRepository(Yaml config, String locations) {
        String key = "spring.cloud.config.server.native.search-locations";
        List<String> dirs = new ArrayList<String>();
        for (String raw : locations.split(",")) {
            String s = raw.trim();
            if (s.isEmpty()) continue;
            String[] unresolved = new String[1];
            String resolved = resolve(s, config, unresolved);
            if (resolved == null) {
                fail("Could not resolve placeholder '" + unresolved[0] + "' in value \"" + s + "\" (" + config.where(key)
                        + "); pass -D" + unresolved[0] + "=… as bk-job's deploy.yml does", new String[] {
                            "java.lang.IllegalArgumentException: Could not resolve placeholder '" + unresolved[0]
                                    + "' in value \"" + s + "\"",
                        });
            }
            if (resolved.startsWith("classpath:")) {
                log.warn("o.s.c.c.s.e.NativeEnvironmentRepository", "Ignoring search location " + s
                        + ": the stand-in serves files only");
                continue;
            }
            String dir = stripFileScheme(resolved);
            while (dir.length() > 1 && dir.endsWith("/")) dir = dir.substring(0, dir.length() - 1);
            dirs.add(dir);
        }
        log.info("o.s.c.c.s.e.NativeEnvironmentRepository", "Serving configuration from " + dirs
                + " ({application}: the service asking), read on every request");
        return new NativeRepository(dirs);
    }

    /** True when {@code __KEY__} (upper-case key, as the renderer matches it) is left in a value. */
    static boolean hasPlaceholder(String s) {
        for (int i = s.indexOf("__"); i >= 0 && i + 2 < s.length(); i = s.indexOf("__", i + 1)) {
            char c = s.charAt(i + 2);
            if (c < 'A' || c > 'Z') continue;
            for (int j = i + 3; j < s.length(); j++) {
                char d = s.charAt(j);
                if (d == '_' && s.startsWith("__", j) && s.charAt(j - 1) != '_') return true;
                if (!((d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9') || d == '_')) break;
            }
        }
        return false;
    }

    private static String stripFileScheme(String loc) {
        if (loc.startsWith("optional:")) loc = loc.substring("optional:".length());
        if (loc.startsWith("file://")) return loc.substring("file://".length());
        if (loc.startsWith("file:")) return loc.substring("file:".length());
        return loc;
    }

    /** job-config serves application-X.yml from its native search locations (default: its own config's dir). */
    private List<File> configDirs(Yaml config) {
        List<File> dirs = new ArrayList<File>();
        String locations = config.get("spring.cloud.config.server.native.search-locations");
        if (locations != null) {
            for (String raw : locations.split(",")) {
                String s = raw.trim();
                if (!s.isEmpty()) dirs.add(new File(stripFileScheme(s)));
            }
        }
        if (dirs.isEmpty()) {
            File own = new File(stripFileScheme(System.getProperty("spring.config.additional-location").split(",")[0].trim()));
            dirs.add(own.getAbsoluteFile().getParentFile());
        }
        log.info("o.s.c.c.s.e.NativeEnvironmentRepository", "Serving configuration from " + dirs);
        return dirs;
    }

    private void listen(Yaml config, Integer managementPort) {
        String address = config.get("server.address");
        List<Integer> ports = new ArrayList<Integer>();
        ports.add(port(config, "server.port", true));
        // job-gateway's second (plain HTTP) port; upstream serves HTTPS on server.port.
        Integer extra = port(config, "server.http.port", false);
        if (extra != null) ports.add(extra);
        String ssl = config.get("server.ssl.enabled");
        if (ssl != null && ssl.trim().equalsIgnoreCase("true")) {
            log.info(WEB, "server.ssl.enabled is true (" + config.where("server.ssl.enabled") + "): the stand-in"
                    + " serves plain HTTP on port " + ports.get(0) + " all the same");
        }
        serve(config, "server.address", address, ports);
        if (managementPort != null) {
            // Spring's management child context: the actuator on its own port, bound like the server
            String key = config.get("management.server.address") != null ? "management.server.address" : "server.address";
            List<Integer> management = new ArrayList<Integer>();
            management.add(managementPort);
            serve(config, key, config.get(key), management);
        }
    }

    private void serve(Yaml config, String addressKey, String address, List<Integer> ports) {
        InetAddress bind = null;
        if (address != null && !address.isEmpty()) {
            try {
                bind = InetAddress.getByName(address);
            } catch (IOException e) {
                fail(addressKey + " '" + address + "' (" + config.where(addressKey) + ") is not an address of"
                        + " this host: " + e.getMessage(), null);
            }
        }
        StringBuilder desc = new StringBuilder();
        for (Integer port : ports) {
            HttpServer server;
            try {
                InetSocketAddress sa = bind == null ? new InetSocketAddress(port) : new InetSocketAddress(bind, port);
                server = HttpServer.create(sa, 64);
            } catch (BindException e) {
                fail("\n\n***************************\nAPPLICATION FAILED TO START\n***************************\n\n"
                        + "Description:\n\nWeb server failed to start. Port " + port + " was already in use"
                        + (address == null ? "" : " on " + address) + " (" + e.getMessage() + ").", null);
                return;
            } catch (IOException e) {
                fail("Web server failed to start on " + address + ":" + port + ": " + e.getMessage(), null);
                return;
            }
            server.createContext("/", web);
            server.setExecutor(null);
            server.start();
            if (desc.length() > 0) desc.append(' ');
            desc.append(port).append(" (http)");
        }
        log.info(WEB, "Tomcat started on port(s): " + desc + " with context path ''"
                + (address == null ? "" : " on " + address));
    }

    private Integer port(Yaml config, String key, boolean required) {
        String v = config.get(key);
        if (v == null || v.isEmpty()) {
            if (required) fail(key + " is not set in " + config.file, null);
            return null;
        }
        try {
            int p = Integer.parseInt(v.trim());
            if (p < 1 || p > 65535) throw new NumberFormatException();
            return p;
        } catch (NumberFormatException e) {
            fail(key + " must be a port number, got '" + v + "' (" + config.where(key) + ")", null);
            return null;
        }
    }

    /** SIGTERM (any orderly JVM shutdown): go out of service, wait drain-seconds, exit 143. */
    private void drain() {
        stopping = true;
        int seconds = drainSeconds;
        if (web != null) web.state = Web.OUT_OF_SERVICE;
        log.info("o.s.c.c.s.AbstractApplicationContext", "Received SIGTERM, draining for " + seconds + " s");
        try {
            Thread.sleep(seconds * 1000L);
        } catch (InterruptedException e) {
            // exit now
        }
        ConsulClient agent = consul;
        String id = registeredId;
        if (agent != null && id != null) agent.deregister(id);
        log.info("o.s.c.c.s.AbstractApplicationContext", "Drained; closing the application context, exit status 143");
        Runtime.getRuntime().halt(143);
    }

    /** Logs an ERROR (to the log and error.log) and exits 1 without running the SIGTERM hook. */
    private void fail(String message, String[] detail) {
        stopping = true;
        if (detail == null) log.error(SPRING, message);
        else log.error(SPRING, message, detail);
        Runtime.getRuntime().halt(1);
    }

    private static String seconds(double s) {
        long tenths = Math.round(s * 10);
        return (tenths / 10) + "." + (tenths % 10);
    }
}
