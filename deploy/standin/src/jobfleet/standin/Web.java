package jobfleet.standin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The HTTP side of a stand-in: {@code /actuator/health} and {@code /actuator/info} on every
 * service and, on job-config, Spring Cloud Config's {@code /{application}/{profile}[/{label}]}.
 * Everything sits behind HTTP basic auth, as Spring Security's defaults do in bk-job; in
 * bk-job's own layout ({@link Security#openHealth}) {@code /actuator/health} is open to
 * anyone, but a request with wrong Basic credentials is still refused, as Spring Security
 * refuses it. With a management port the actuator is served there and only there.
 */
final class Web implements HttpHandler {
    static final String UP = "UP";
    static final String DOWN = "DOWN";
    static final String OUT_OF_SERVICE = "OUT_OF_SERVICE";
    private static final String REPOSITORY = "o.s.c.c.s.e.NativeEnvironmentRepository";

    /** Who may do what. */
    static final class Security {
        /** {@code spring.security.user}: everything. */
        final String user;
        final String password;
        /** A second login for {@code /actuator/**} only; null when not configured. */
        final String actuatorUser;
        final String actuatorPassword;
        /** {@code /actuator/health} needs no login (bk-job's layout). */
        final boolean openHealth;

        Security(String user, String password, String actuatorUser, String actuatorPassword, boolean openHealth) {
            this.user = user;
            this.password = password;
            this.actuatorUser = actuatorUser;
            this.actuatorPassword = actuatorPassword;
            this.openHealth = openHealth;
        }
    }

    /** Health as actuator reports it; flipped by the lifecycle and the shutdown hook. */
    volatile String state = DOWN;

    private final Identity id;
    private final SpringLog log;
    private final Security security;
    /** Directories job-config serves {@code application-X.yml} from; null on other services. */
    private final List<File> configDirs;
    /** job-config in bk-job's layout: serves {@code job-X/job-X.yml} and {@code job-common}; else null. */
    private final NativeRepository repository;
    /** The port the actuator is served on instead of the main ones; 0 when it shares them. */
    private final int managementPort;

    Web(Identity id, SpringLog log, Security security, List<File> configDirs, NativeRepository repository,
            int managementPort) {
        this.id = id;
        this.log = log;
        this.security = security;
        this.configDirs = configDirs;
        this.repository = repository;
        this.managementPort = managementPort;
    }

    /** Result of looking at the Authorization header. */
    private static final int ANONYMOUS = 0;
    private static final int AUTHENTICATED = 1;
    private static final int REFUSED = 2;

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try {
            InputStream body = ex.getRequestBody();
            while (body.read() >= 0) { /* drain so the connection can be reused */ }
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                send(ex, 405, error(405, "Method Not Allowed", path));
                return;
            }
            boolean actuator = path.equals("/actuator") || path.startsWith("/actuator/");
            boolean health = path.equals("/actuator/health") || path.startsWith("/actuator/health/");
            int auth = authenticate(ex.getRequestHeaders().getFirst("Authorization"), actuator);
            boolean allowed = auth == AUTHENTICATED || (auth == ANONYMOUS && health && security.openHealth);
            if (!allowed) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"Realm\"");
                send(ex, 401, error(401, "Unauthorized", path));
                return;
            }
            if (managementPort > 0 && (ex.getLocalAddress().getPort() == managementPort) != actuator) {
                // the actuator lives on the management port, the application on the others
                send(ex, 404, error(404, "Not Found", path));
            } else if (health) {
                String s = state;
                send(ex, s.equals(UP) ? 200 : 503, "{\"status\":\"" + s + "\"}");
            } else if (path.equals("/actuator/info")) {
                send(ex, 200, "{\"app\":{\"name\":" + Json.string(id.service) + ",\"version\":"
                        + Json.string(id.version) + "}}");
            } else if (repository != null && !actuator) {
                serveNative(ex, path);
            } else if (configDirs != null && !actuator) {
                serveConfig(ex, path);
            } else {
                send(ex, 404, error(404, "Not Found", path));
            }
        } finally {
            ex.close();
        }
    }

    /**
     * ANONYMOUS without credentials, AUTHENTICATED with a matching login, REFUSED with wrong
     * ones. In bk-job's layout a header that is not Basic is ignored, as Spring Security's
     * Basic filter ignores it; otherwise anything but the right login is refused.
     */
    private int authenticate(String header, boolean actuator) {
        if (header == null) return ANONYMOUS;
        if (header.length() < 6 || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return security.openHealth ? ANONYMOUS : REFUSED;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return REFUSED;
        }
        if (decoded.equals(security.user + ":" + security.password)) return AUTHENTICATED;
        if (actuator && security.actuatorUser != null && security.actuatorPassword != null
                && decoded.equals(security.actuatorUser + ":" + security.actuatorPassword)) {
            return AUTHENTICATED;
        }
        return REFUSED;
    }

    /** {application, profile, label or null} of a config request; null (after a 404) when malformed. */
    private String[] configRequest(HttpExchange ex, String path) throws IOException {
        String[] parts = path.substring(1).split("/");
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            send(ex, 404, error(404, "Not Found", path));
            return null;
        }
        return new String[] {parts[0], parts[1], parts.length == 3 ? parts[2] : null};
    }

    /** GET /{application}/{profile}[/{label}] from bk-job's per-application layout. */
    private void serveNative(HttpExchange ex, String path) throws IOException {
        String[] parts = configRequest(ex, path);
        if (parts == null) return;
        String application = parts[0];
        String profile = parts[1];
        String label = parts[2];
        StringBuilder sources = new StringBuilder();
        // Only job-[a-z0-9-]+ names (and "application") reach the disk.
        if (isServiceName(application) || application.equals("application")) {
            List<NativeRepository.Source> found;
            try {
                found = repository.find(application, profile.split(","), label);
            } catch (NativeRepository.BadFile e) {
                log.error(REPOSITORY, "Cannot serve " + application + ": " + e.getMessage());
                send(ex, 500, error(500, "Internal Server Error", path));
                return;
            }
            for (NativeRepository.Source src : found) {
                appendSource(sources, src.name, src.values);
                log.info(REPOSITORY, "Adding property source: " + src.name + " (for " + application + ", profile "
                        + profile + ")");
            }
            if (found.isEmpty()) {
                log.info(REPOSITORY, "No property source for " + application + ", profile " + profile + " in "
                        + repository.locations());
            }
        }
        sendEnvironment(ex, application, profile, label, sources);
    }

    /** GET /{application}/{profile}[/{label}] → a Spring Cloud Config environment. */
    private void serveConfig(HttpExchange ex, String path) throws IOException {
        String[] parts = configRequest(ex, path);
        if (parts == null) return;
        String application = parts[0];
        String profile = parts[1];
        String label = parts[2];
        StringBuilder sources = new StringBuilder();
        if (isServiceName(application)) {
            String name = "application-" + application.substring(4) + ".yml";
            for (File dir : configDirs) {
                File f = new File(dir, name);
                if (!f.isFile()) continue;
                Yaml yaml;
                try {
                    yaml = Yaml.read(f.toPath());
                } catch (Yaml.ParseException e) {
                    log.error(REPOSITORY, "Cannot serve " + f + ": " + e.getMessage());
                    send(ex, 500, error(500, "Internal Server Error", path));
                    return;
                }
                appendSource(sources, "file:" + f.getPath(), yaml);
                log.info(REPOSITORY, "Adding property source: file:" + f.getPath()
                        + " (for " + application + ", profile " + profile + ")");
            }
        }
        sendEnvironment(ex, application, profile, label, sources);
    }

    private static void appendSource(StringBuilder sources, String name, Yaml yaml) {
        if (sources.length() > 0) sources.append(',');
        sources.append("{\"name\":").append(Json.string(name)).append(",\"source\":{");
        boolean first = true;
        for (Map.Entry<String, String> e : yaml.values.entrySet()) {
            if (!first) sources.append(',');
            first = false;
            sources.append(Json.string(e.getKey())).append(':').append(Json.string(e.getValue()));
        }
        sources.append("}}");
    }

    private static void sendEnvironment(HttpExchange ex, String application, String profile, String label,
            StringBuilder sources) throws IOException {
        List<String> profiles = new ArrayList<String>();
        for (String p : profile.split(",")) profiles.add(Json.string(p));
        send(ex, 200, "{\"name\":" + Json.string(application) + ",\"profiles\":" + profiles
                + ",\"label\":" + Json.string(label) + ",\"version\":null,\"state\":null,\"propertySources\":["
                + sources + "]}");
    }

    /** Only {@code job-[a-z0-9-]+} names map to a file: nothing else can reach the disk. */
    private static boolean isServiceName(String s) {
        if (!s.startsWith("job-") || s.length() == 4) return false;
        for (int i = 4; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
        }
        return true;
    }

    private static String error(int status, String error, String path) {
        return "{\"timestamp\":" + Json.string(java.time.Instant.now().toString()) + ",\"status\":" + status
                + ",\"error\":" + Json.string(error) + ",\"path\":" + Json.string(path) + "}";
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            OutputStream out = ex.getResponseBody();
            out.write(bytes);
            out.close();
        }
    }
}
