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
 * Start-up CPU matters (dozens run on one small machine): no lambdas, no reflection, no
 * java.net.http, and the main thread doubles as the lifecycle timer.
 */
public final class StandIn {
    private static final long T0 = System.nanoTime();
    private static final String DEFAULT_LOG_DIR = "/data/bkee/logs/job";
    private static final String SPRING = "o.s.boot.SpringApplication";
    private static final String WEB = "o.s.b.w.embedded.tomcat.TomcatWebServer";
    /** How often a held start-up looks for its hold-while-file. */
    private static final long HOLD_POLL_NANOS = 100_000_000L;

    private final Identity id;
    private final SpringLog log;
    private volatile boolean stopping;
    /** Known once the knobs are read; SIGTERM before that drains for the default. */
    private volatile int drainSeconds = 2;
    private Web web;

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
            log = new SpringLog(new File(root), id.service);
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
            log.info(id.applicationLogger, "The following 1 profile is active: \"" + profile + "\"");
        }
        if (knobs.exitAtOnce) {
            fail("Stand-in knob exit-at-once is set: failing at start-up", null);
        }

        String user = config.get("spring.security.user.name");
        String password = config.get("spring.security.user.password");
        if (user == null || user.isEmpty() || password == null || password.isEmpty()) {
            user = "user";
            password = UUID.randomUUID().toString();
            // Spring prints the generated password; a stand-in keeps it out of the log.
            log.warn("o.s.b.a.s.s.UserDetailsServiceAutoConfiguration", "spring.security.user.name/password not set"
                    + " in the config: using a generated security password (not shown)");
        }

        if (!id.isConfigServer()) {
            String cu = config.get("spring.cloud.config.username");
            String cp = config.get("spring.cloud.config.password");
            ConfigClient client = new ConfigClient(log, id.service, profile, cu != null ? cu : user,
                    cp != null ? cp : password);
            try {
                client.fetch(ConfigClient.uris(config.get("spring.cloud.config.uri")), knobs.configAttempts,
                        knobs.configRetryMs);
            } catch (ConfigClient.Unreachable e) {
                log.error(ConfigClient.LOGGER, e.getMessage());
                fail("Application run failed", new String[] {
                    "java.lang.IllegalStateException: Could not locate PropertySource and the fail fast property is set, failing",
                    "\tat org.springframework.cloud.config.client.ConfigServicePropertySourceLocator.locate(ConfigServicePropertySourceLocator.java:148)",
                    "\tat org.springframework.boot.SpringApplication.run(SpringApplication.java:338)",
                    "Caused by: org.springframework.web.client.ResourceAccessException: " + e.cause,
                });
            }
        }

        web = new Web(id, log, user, password, id.isConfigServer() ? configDirs(config) : null);
        listen(config);

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
                merged.values.putAll(yaml.values);
                merged.lines.putAll(yaml.lines);
            }
        }
        if (merged == null) fail("No configuration file in spring.config.additional-location=" + location, null);
        return merged;
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

    private void listen(Yaml config) {
        String address = config.get("server.address");
        List<Integer> ports = new ArrayList<Integer>();
        ports.add(port(config, "server.port", true));
        // job-gateway's second (plain HTTP) port; upstream serves HTTPS on server.port.
        Integer extra = port(config, "server.http.port", false);
        if (extra != null) ports.add(extra);
        InetAddress bind = null;
        if (address != null && !address.isEmpty()) {
            try {
                bind = InetAddress.getByName(address);
            } catch (IOException e) {
                fail("server.address '" + address + "' (" + config.where("server.address") + ") is not an address of"
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
