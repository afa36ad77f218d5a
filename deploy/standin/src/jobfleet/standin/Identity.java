package jobfleet.standin;

import java.io.IOException;
import java.io.InputStream;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/**
 * Which bk-job service this jar is, from its manifest ({@code JobFleet-Service},
 * {@code Implementation-Version}); system properties {@code standin.service} and
 * {@code standin.version} stand in when running from a class directory.
 */
final class Identity {
    final String service;
    final String version;
    /** Spring-style main class, e.g. {@code JobManageApplication}. */
    final String applicationClass;
    /** Abbreviated logger name of the main class, e.g. {@code c.t.b.job.manage.JobManageApplication}. */
    final String applicationLogger;

    private Identity(String service, String version) {
        this.service = service;
        this.version = version;
        StringBuilder cls = new StringBuilder();
        StringBuilder pkg = new StringBuilder();
        String[] parts = service.split("-");
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (p.isEmpty()) continue;
            cls.append(Character.toUpperCase(p.charAt(0))).append(p.substring(1));
            if (i > 0) pkg.append(p);
        }
        applicationClass = cls.append("Application").toString();
        applicationLogger = "c.t.b.job." + (pkg.length() == 0 ? "app" : pkg.toString()) + "." + applicationClass;
    }

    boolean isConfigServer() {
        return service.equals("job-config");
    }

    static Identity load() {
        String service = System.getProperty("standin.service");
        String version = System.getProperty("standin.version");
        InputStream in = Identity.class.getResourceAsStream("/META-INF/MANIFEST.MF");
        if (in != null) {
            try {
                try {
                    Attributes a = new Manifest(in).getMainAttributes();
                    if (service == null) service = a.getValue("JobFleet-Service");
                    if (version == null) version = a.getValue("Implementation-Version");
                } finally {
                    in.close();
                }
            } catch (IOException e) {
                // fall through to the checks below
            }
        }
        if (service == null || !service.matches("job-[a-z][a-z-]*")) return null;
        return new Identity(service, version == null ? "unknown" : version);
    }
}
