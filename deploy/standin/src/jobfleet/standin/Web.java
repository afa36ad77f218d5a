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
 * Everything sits behind HTTP basic auth, as Spring Security's defaults do in bk-job.
 */
final class Web implements HttpHandler {
    static final String UP = "UP";
    static final String DOWN = "DOWN";
    static final String OUT_OF_SERVICE = "OUT_OF_SERVICE";
    private static final String REPOSITORY = "o.s.c.c.s.e.NativeEnvironmentRepository";

    /** Health as actuator reports it; flipped by the lifecycle and the shutdown hook. */
    volatile String state = DOWN;

    private final Identity id;
    private final SpringLog log;
    private final String user;
    private final String password;
    /** Directories job-config serves {@code application-X.yml} from; null on other services. */
    private final List<File> configDirs;

    Web(Identity id, SpringLog log, String user, String password, List<File> configDirs) {
        this.id = id;
        this.log = log;
        this.user = user;
        this.password = password;
        this.configDirs = configDirs;
    }

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
            if (!authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"Realm\"");
                send(ex, 401, error(401, "Unauthorized", path));
                return;
            }
            if (path.equals("/actuator/health") || path.startsWith("/actuator/health/")) {
                String s = state;
                send(ex, s.equals(UP) ? 200 : 503, "{\"status\":\"" + s + "\"}");
            } else if (path.equals("/actuator/info")) {
                send(ex, 200, "{\"app\":{\"name\":" + Json.string(id.service) + ",\"version\":"
                        + Json.string(id.version) + "}}");
            } else if (configDirs != null && !path.startsWith("/actuator")) {
                serveConfig(ex, path);
            } else {
                send(ex, 404, error(404, "Not Found", path));
            }
        } finally {
            ex.close();
        }
    }

    private boolean authorized(String header) {
        if (header == null || header.length() < 6 || !header.regionMatches(true, 0, "Basic ", 0, 6)) return false;
        try {
            String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
            return decoded.equals(user + ":" + password);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** GET /{application}/{profile}[/{label}] → a Spring Cloud Config environment. */
    private void serveConfig(HttpExchange ex, String path) throws IOException {
        String[] parts = path.substring(1).split("/");
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            send(ex, 404, error(404, "Not Found", path));
            return;
        }
        String application = parts[0];
        String profile = parts[1];
        String label = parts.length == 3 ? parts[2] : null;
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
                if (sources.length() > 0) sources.append(',');
                sources.append("{\"name\":").append(Json.string("file:" + f.getPath())).append(",\"source\":{");
                boolean first = true;
                for (Map.Entry<String, String> e : yaml.values.entrySet()) {
                    if (!first) sources.append(',');
                    first = false;
                    sources.append(Json.string(e.getKey())).append(':').append(Json.string(e.getValue()));
                }
                sources.append("}}");
                log.info(REPOSITORY, "Adding property source: file:" + f.getPath()
                        + " (for " + application + ", profile " + profile + ")");
            }
        }
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
