package jobfleet.standin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Fetches the service's configuration from job-config at start-up, as a Spring Cloud Config
 * client with {@code fail-fast: true} does: every URI in {@code spring.cloud.config.uri}
 * (comma-separated) is tried, {@code config-attempts} rounds with {@code config-retry-ms}
 * between them. Failing throws, and the caller exits non-zero.
 *
 * In bk-job's own layout the service also needs what job-config keeps for it in
 * {@code job-X/job-X.yml} (or {@code .properties} up to 3.3): an answer without that property
 * source counts as a failed attempt, as an answer without property sources fails a
 * fail-fast Spring client.
 */
final class ConfigClient {
    static final String LOGGER = "o.s.c.c.c.ConfigServicePropertySourceLocator";

    static final class Unreachable extends Exception {
        /** The last failure, as Spring's "Caused by:" line shows it. */
        final String cause;

        Unreachable(String message, String cause) {
            super(message);
            this.cause = cause;
        }
    }

    /** The extensions Spring reads a service's own file with, in its order. */
    private static final String[] OWN_EXTENSIONS = {".properties", ".yml", ".yaml"};

    private final SpringLog log;
    private final String application;
    private final String profile;
    private final String user;
    private final String password;

    ConfigClient(SpringLog log, String application, String profile, String user, String password) {
        this.log = log;
        this.application = application;
        this.profile = profile;
        this.user = user;
        this.password = password;
    }

    static List<String> uris(String value) {
        List<String> out = new ArrayList<String>();
        if (value == null) return out;
        for (String part : value.split(",")) {
            String u = part.trim();
            while (u.endsWith("/")) u = u.substring(0, u.length() - 1);
            if (!u.isEmpty()) out.add(u);
        }
        return out;
    }

    /**
     * Returns the number of property sources located; throws when no server answered, or
     * when {@code own} is set (bk-job's layout: the application's name) and no answer held
     * {@code own/own.yml} or {@code own/own.properties}.
     */
    int fetch(List<String> uris, int attempts, int retryMs, String own) throws Unreachable {
        if (uris.isEmpty()) {
            throw new Unreachable("Could not locate PropertySource and the fail fast property is set, failing: "
                    + "spring.cloud.config.uri is empty and spring.cloud.config.discovery.enabled is not true",
                    "org.springframework.web.client.ResourceAccessException: no config server URI configured");
        }
        String lastError = "";
        String lastCause = "";
        boolean lastMissing = false;
        List<String> lastNames = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            for (String uri : uris) {
                log.info(LOGGER, "Fetching config from server at : " + uri);
                String url = uri + "/" + application + "/" + profile;
                String body;
                try {
                    body = get(url);
                } catch (IOException e) {
                    lastError = "I/O error on GET request for \"" + url + "\": " + describe(e);
                    lastCause = "org.springframework.web.client.ResourceAccessException: " + lastError;
                    lastMissing = false;
                    log.warn(LOGGER, "Could not locate PropertySource ([ConfigServerInstance: uri=" + uri
                            + "], attempt " + attempt + "/" + attempts + "): " + lastError);
                    continue;
                }
                if (own == null) {
                    int sources = count(body, "\"source\"");
                    log.info(LOGGER, "Located environment: name=" + application + ", profiles=[" + profile
                            + "], label=null, version=null, state=null (" + sources + " property source"
                            + (sources == 1 ? "" : "s") + ")");
                    return sources;
                }
                List<String> names;
                try {
                    names = sourceNames(body);
                } catch (Json.ParseException e) {
                    lastError = "the answer to GET " + url + " is not a Spring Cloud Config environment: " + e.getMessage();
                    lastCause = "org.springframework.web.client.RestClientException: " + lastError;
                    lastMissing = false;
                    log.warn(LOGGER, "Could not locate PropertySource ([ConfigServerInstance: uri=" + uri
                            + "], attempt " + attempt + "/" + attempts + "): " + lastError);
                    continue;
                }
                log.info(LOGGER, "Located environment: name=" + application + ", profiles=[" + profile
                        + "], label=null, version=null, state=null, property sources: " + names);
                if (holdsOwn(names, own)) return names.size();
                lastError = uri + " has no property source " + own + "/" + own + ".yml (or " + own + ".properties)"
                        + " for " + application + ", profile " + profile + "; it sent " + names;
                lastCause = "java.lang.IllegalStateException: no property source " + own + "/" + own
                        + ".yml or .properties on job-config";
                lastMissing = true;
                lastNames = names;
                log.warn(LOGGER, "Could not locate PropertySource ([ConfigServerInstance: uri=" + uri
                        + "], attempt " + attempt + "/" + attempts + "): " + lastError);
            }
            if (attempt < attempts && retryMs > 0) {
                try {
                    Thread.sleep(retryMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (lastMissing) {
            throw new Unreachable("Could not locate PropertySource and the fail fast property is set, failing: "
                    + "none of " + lastNames + " is " + own + "/" + own + ".yml or " + own + "/" + own + ".properties"
                    + " (job-config keeps it in ${BK_JOB_CONFIG_DIR}/" + own + "/ on its host); asked " + uris
                    + " in " + attempts + " attempt" + (attempts == 1 ? "" : "s"), lastCause);
        }
        throw new Unreachable("Could not locate PropertySource and the fail fast property is set, failing: "
                + "could not fetch the configuration from " + uris + " in " + attempts + " attempt"
                + (attempts == 1 ? "" : "s") + "; last error: " + lastError,
                own == null ? "org.springframework.web.client.ResourceAccessException: " + lastError : lastCause);
    }

    /** The {@code name} of every entry of {@code propertySources}, in order. */
    static List<String> sourceNames(String body) throws Json.ParseException {
        Object doc = Json.parse(body);
        if (!(doc instanceof java.util.Map)) throw new Json.ParseException("not an object");
        Object sources = ((java.util.Map<?, ?>) doc).get("propertySources");
        if (!(sources instanceof List)) throw new Json.ParseException("no propertySources list");
        List<String> names = new ArrayList<String>();
        for (Object o : (List<?>) sources) {
            Object name = o instanceof java.util.Map ? ((java.util.Map<?, ?>) o).get("name") : null;
            names.add(name instanceof String ? (String) name : String.valueOf(name));
        }
        return names;
    }

    /** True when a name ends in (or, as Spring's longer names do, contains) {@code /own/own.<ext>}. */
    static boolean holdsOwn(List<String> names, String own) {
        for (String name : names) {
            for (String ext : OWN_EXTENSIONS) {
                String tail = "/" + own + "/" + own + ext;
                for (int i = name.indexOf(tail); i >= 0; i = name.indexOf(tail, i + 1)) {
                    int end = i + tail.length();
                    if (end == name.length() || "]' \"".indexOf(name.charAt(end)) >= 0) return true;
                }
            }
        }
        return false;
    }

    private String get(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(5000);
        c.setUseCaches(false);
        c.setRequestProperty("Accept", "application/json");
        if (user != null && password != null) {
            String token = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
            c.setRequestProperty("Authorization", "Basic " + token);
        }
        try {
            int status = c.getResponseCode();
            if (status != 200) {
                throw new IOException(status + " " + (c.getResponseMessage() == null ? "" : c.getResponseMessage())
                        + (status == 401 ? " (wrong spring.cloud.config.username/password?)" : ""));
            }
            InputStream in = c.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) out.write(buf, 0, n);
            in.close();
            String body = new String(out.toByteArray(), StandardCharsets.UTF_8);
            if (!body.trim().startsWith("{") || !body.contains("\"propertySources\"")) {
                throw new IOException("the answer is not a Spring Cloud Config environment");
            }
            return body;
        } finally {
            c.disconnect();
        }
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        if (e instanceof java.net.UnknownHostException) return "unknown host " + m;
        return m == null || m.isEmpty() ? e.getClass().getSimpleName() : m;
    }

    private static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) n++;
        return n;
    }
}
