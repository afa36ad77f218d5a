package jobfleet.standin;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The stand-in's behaviour knobs. Each is read, first match wins, from: system property
 * {@code standin.NAME}, environment variable {@code STANDIN_NAME}, rendered config key
 * {@code job.standin.NAME}, the jar's {@code standin.properties}, the default
 * (docs/CONVENTIONS.md).
 */
final class Knobs {
    static final class BadKnob extends Exception {
        BadKnob(String message) {
            super(message);
        }
    }

    final int startupSeconds;
    final int drainSeconds;
    final int crashAfterSeconds;
    final boolean neverHealthy;
    final boolean exitAtOnce;
    final int configAttempts;
    final int configRetryMs;
    /** Start-up is held (health DOWN) while this file exists; null when the knob is unset or empty. */
    final String holdWhileFile;

    private final Yaml config;
    private final Properties jar;

    Knobs(Yaml config) throws BadKnob {
        this.config = config;
        this.jar = jarProperties();
        startupSeconds = number("startup-seconds", 3, 0);
        drainSeconds = number("drain-seconds", 2, 0);
        crashAfterSeconds = number("crash-after-seconds", 0, 0);
        neverHealthy = flag("never-healthy", false);
        exitAtOnce = flag("exit-at-once", false);
        configAttempts = number("config-attempts", 3, 1);
        configRetryMs = number("config-retry-ms", 1000, 0);
        holdWhileFile = text("hold-while-file");
    }

    private static Properties jarProperties() {
        Properties p = new Properties();
        InputStream in = Knobs.class.getResourceAsStream("/standin.properties");
        if (in == null) return p;
        try {
            try {
                p.load(in);
            } finally {
                in.close();
            }
        } catch (IOException e) {
            // An unreadable resource in our own jar means a broken build; defaults are the sane answer.
        }
        return p;
    }

    /** The raw value and where it came from, or null when no layer sets it. */
    private String[] lookup(String name) {
        String v = System.getProperty("standin." + name);
        if (v != null) return new String[] {v, "system property standin." + name};
        String env = "STANDIN_" + name.toUpperCase().replace('-', '_');
        v = System.getenv(env);
        if (v != null) return new String[] {v, "environment variable " + env};
        String key = "job.standin." + name;
        v = config.get(key);
        if (v != null) return new String[] {v, config.where(key) + " (" + key + ")"};
        v = jar.getProperty(name);
        if (v != null) return new String[] {v, "standin.properties in the jar (" + name + ")"};
        return null;
    }

    private int number(String name, int fallback, int min) throws BadKnob {
        String[] found = lookup(name);
        if (found == null) return fallback;
        try {
            int n = Integer.parseInt(found[0].trim());
            if (n < min) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new BadKnob("knob " + name + " must be a whole number >= " + min + ", got '" + found[0]
                    + "' from " + found[1]);
        }
    }

    /** The trimmed value, or null when no layer sets it or it is empty (an explicit "off"). */
    private String text(String name) {
        String[] found = lookup(name);
        if (found == null) return null;
        String v = found[0].trim();
        return v.isEmpty() ? null : v;
    }

    private boolean flag(String name, boolean fallback) throws BadKnob {
        String[] found = lookup(name);
        if (found == null) return fallback;
        String v = found[0].trim().toLowerCase();
        if (v.equals("true") || v.equals("yes") || v.equals("1")) return true;
        if (v.equals("false") || v.equals("no") || v.equals("0")) return false;
        throw new BadKnob("knob " + name + " must be true or false, got '" + found[0] + "' from " + found[1]);
    }
}
