package jobfleet.standin;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * job-config's native backend in bk-job's own layout: search locations that name
 * {@code {application}} (e.g. {@code file:${BK_JOB_CONFIG_DIR}/job-common},
 * {@code file:${BK_JOB_CONFIG_DIR}/{application}}), searched for {@code application} and
 * {@code {application}} files, {@code .properties}, {@code .yml} and {@code .yaml}, plain and
 * per profile. The files are read again on every request, as Spring Cloud Config's native
 * backend reads them, so a file changed or removed on job-config's host shows at once.
 */
final class NativeRepository {
    private static final String[] EXTENSIONS = {".properties", ".yml", ".yaml"};

    /** One property source: its Spring name ({@code file:<absolute path>}) and its flattened values. */
    static final class Source {
        final String name;
        final Yaml values;

        Source(String name, Yaml values) {
            this.name = name;
            this.values = values;
        }
    }

    static final class BadFile extends Exception {
        BadFile(String message) {
            super(message);
        }
    }

    /** Directory patterns, placeholders resolved, scheme and trailing slash removed. */
    private final List<String> locations;

    NativeRepository(List<String> locations) {
        this.locations = locations;
    }

    List<String> locations() {
        return locations;
    }

    /** True when a search-locations value is in bk-job's per-application form. */
    static boolean perApplication(String searchLocations) {
        return searchLocations != null && searchLocations.contains("{application}");
    }

    /**
     * The property sources for one request, most specific first: profile files before plain
     * ones, later locations before earlier ones, {@code {application}} files before
     * {@code application} files, {@code .properties} before {@code .yml}.
     */
    List<Source> find(String application, String[] profiles, String label) throws IOException, BadFile {
        List<String> names = new ArrayList<String>();
        names.add(application);
        if (!application.equals("application")) names.add("application");
        Set<String> seen = new LinkedHashSet<String>();
        List<Source> out = new ArrayList<Source>();
        for (int pass = 0; pass < 2; pass++) {
            boolean perProfile = pass == 0;
            for (int l = locations.size() - 1; l >= 0; l--) {
                String dir = locations.get(l).replace("{application}", application)
                        .replace("{profile}", String.join(",", profiles))
                        .replace("{label}", label == null ? "" : label);
                for (String name : names) {
                    int stems = perProfile ? profiles.length : 1;
                    for (int p = stems - 1; p >= 0; p--) {
                        String stem = perProfile ? name + "-" + profiles[p] : name;
                        for (String ext : EXTENSIONS) {
                            File f = new File(dir, stem + ext).getAbsoluteFile();
                            if (!f.isFile() || !seen.add(f.getPath())) continue;
                            out.add(new Source("file:" + f.getPath(), read(f)));
                        }
                    }
                }
            }
        }
        return out;
    }

    private static Yaml read(File f) throws IOException, BadFile {
        if (f.getName().endsWith(".properties")) {
            try {
                return Yaml.readProperties(f.toPath());
            } catch (IllegalArgumentException e) {
                // Properties.load: a malformed \\uXXXX escape
                throw new BadFile(f + ": " + e.getMessage());
            }
        }
        try {
            return Yaml.read(f.toPath());
        } catch (Yaml.ParseException e) {
            throw new BadFile(e.getMessage());
        }
    }
}
