package jobfleet.standin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The host's Consul agent, as Spring Cloud Consul uses it: {@code spring.cloud.consul.host},
 * {@code port} and {@code scheme} of the rendered configuration. A service registers itself
 * (HTTP API {@code PUT /v1/agent/service/register}, with an HTTP check on its actuator
 * health) once it is up, deregisters when it stops in order, and a service that fetches its
 * configuration finds job-config here ({@code GET /v1/health/service/job-config?passing}).
 */
final class ConsulClient {
    static final String LOGGER = "o.s.c.c.s.ConsulServiceRegistry";
    static final String DISCOVERY_LOGGER = "o.s.c.c.d.ConsulDiscoveryClient";

    final String base;
    private final SpringLog log;

    ConsulClient(SpringLog log, String scheme, String host, int port) {
        this.log = log;
        this.base = scheme + "://" + host + ":" + port;
    }

    /** The agent of {@code config}, or null when Consul is off ({@code spring.cloud.consul.enabled: false}). */
    static ConsulClient of(Yaml config, SpringLog log) throws IllegalArgumentException {
        if (isFalse(config.get("spring.cloud.consul.enabled"))) return null;
        String host = config.get("spring.cloud.consul.host");
        String port = config.get("spring.cloud.consul.port");
        if (host == null && port == null) return null; // no spring.cloud.consul section: not a Consul service
        String scheme = config.get("spring.cloud.consul.scheme");
        int p;
        try {
            p = port == null ? 8500 : Integer.parseInt(port.trim());
            if (p < 1 || p > 65535) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("spring.cloud.consul.port must be a port number, got '" + port + "' ("
                    + config.where("spring.cloud.consul.port") + ")");
        }
        return new ConsulClient(log, scheme == null || scheme.isEmpty() ? "http" : scheme.trim(),
                host == null || host.isEmpty() ? "localhost" : host.trim(), p);
    }

    static boolean isFalse(String value) {
        return value != null && value.trim().equalsIgnoreCase("false");
    }

    /** What a service registers: its name, id, address and port, and the check of its health. */
    static final class Registration {
        String id;
        String name;
        String address;
        int port;
        String healthUrl;
        String interval = "10s";
        String deregisterAfter = "1m";
        /** {@code Basic …} when the health endpoint needs a login (JobFleet's own layout), else null. */
        String authorization;

        String json() {
            StringBuilder check = new StringBuilder();
            check.append("{\"HTTP\":").append(Json.string(healthUrl))
                    .append(",\"Interval\":").append(Json.string(interval))
                    .append(",\"Timeout\":\"2s\"")
                    .append(",\"DeregisterCriticalServiceAfter\":").append(Json.string(deregisterAfter))
                    // registered once the service is up: passing from the start, so that a
                    // service started next finds it at once; the check takes over from there
                    .append(",\"Status\":\"passing\"");
            if (authorization != null) {
                check.append(",\"Header\":{\"Authorization\":[").append(Json.string(authorization)).append("]}");
            }
            check.append("}");
            return "{\"ID\":" + Json.string(id) + ",\"Name\":" + Json.string(name) + ",\"Address\":"
                    + Json.string(address) + ",\"Port\":" + port + ",\"Check\":" + check + "}";
        }

        static String basic(String user, String password) {
            return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Registers {@code r} with the agent; throws with why it failed. */
    void register(Registration r) throws IOException {
        request("PUT", "/v1/agent/service/register", r.json());
        log.info(LOGGER, "Registering service with consul: NewService{id='" + r.id + "', name='" + r.name
                + "', address='" + r.address + "', port=" + r.port + ", check=" + r.healthUrl + " every " + r.interval
                + "} at " + base);
    }

    /** Deregisters service {@code id}; logs and carries on when the agent does not answer. */
    void deregister(String id) {
        try {
            request("PUT", "/v1/agent/service/deregister/" + URLEncoder.encode(id, "UTF-8"), null);
            log.info(LOGGER, "Deregistering service with consul: " + id);
        } catch (IOException e) {
            log.warn(LOGGER, "Could not deregister " + id + " from consul at " + base + ": " + e.getMessage());
        }
    }

    /** {@code http://address:port} of every passing instance of {@code service}, in Consul's order. */
    List<String> passing(String service) throws IOException {
        String body = request("GET", "/v1/health/service/" + URLEncoder.encode(service, "UTF-8") + "?passing", null);
        List<String> out = new ArrayList<String>();
        Object doc;
        try {
            doc = Json.parse(body);
        } catch (Json.ParseException e) {
            throw new IOException("the answer is not Consul's list of service entries: " + e.getMessage());
        }
        if (!(doc instanceof List)) throw new IOException("the answer is not Consul's list of service entries");
        for (Object entry : (List<?>) doc) {
            if (!(entry instanceof Map)) continue;
            Object svc = ((Map<?, ?>) entry).get("Service");
            Object node = ((Map<?, ?>) entry).get("Node");
            if (!(svc instanceof Map)) continue;
            Object address = ((Map<?, ?>) svc).get("Address");
            if ((address == null || "".equals(address)) && node instanceof Map) address = ((Map<?, ?>) node).get("Address");
            Object port = ((Map<?, ?>) svc).get("Port");
            if (address == null || port == null) continue;
            String p = String.valueOf(port);
            if (p.endsWith(".0")) p = p.substring(0, p.length() - 2);
            out.add("http://" + address + ":" + p);
        }
        return out;
    }

    private String request(String method, String path, String body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(base + path).openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(5000);
        c.setUseCaches(false);
        c.setRequestMethod(method);
        try {
            if (body != null || "PUT".equals(method)) {
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                OutputStream out = c.getOutputStream();
                out.write((body == null ? "" : body).getBytes(StandardCharsets.UTF_8));
                out.close();
            }
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            String text = "";
            if (in != null) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                byte[] chunk = new byte[8192];
                int n;
                while ((n = in.read(chunk)) > 0) buf.write(chunk, 0, n);
                in.close();
                text = new String(buf.toByteArray(), StandardCharsets.UTF_8);
            }
            if (status != 200) {
                String reason = text.trim();
                if (reason.length() > 200) reason = reason.substring(0, 200) + "...";
                throw new IOException(method + " " + base + path + " answered " + status
                        + (reason.isEmpty() ? "" : ": " + reason));
            }
            return text;
        } catch (java.net.ConnectException e) {
            throw new IOException("no Consul agent answers at " + base + " (" + e.getMessage() + ")");
        } finally {
            c.disconnect();
        }
    }
}
