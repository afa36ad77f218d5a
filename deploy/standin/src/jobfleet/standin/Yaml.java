package jobfleet.standin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the small subset of YAML the bk-job templates use: nested block mappings whose
 * leaves are scalars. Nesting becomes dotted keys ({@code server.port}), as Spring
 * flattens them. Anything richer (lists, flow collections, block scalars, anchors) is
 * refused with the line number, so a template mistake shows up instead of a silent
 * misread.
 */
final class Yaml {
    /** Flattened key → scalar value, in file order. */
    final Map<String, String> values = new LinkedHashMap<String, String>();
    /** Flattened key → 1-based line, for messages. */
    final Map<String, Integer> lines = new LinkedHashMap<String, Integer>();
    /** Keys set from elsewhere than the file (system properties), with where they came from. */
    final Map<String, String> origins = new LinkedHashMap<String, String>();
    final String file;

    private Yaml(String file) {
        this.file = file;
    }

    static final class ParseException extends Exception {
        ParseException(String message) {
            super(message);
        }
    }

    static Yaml read(Path path) throws IOException, ParseException {
        String text = new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
        return parse(text, path.toString());
    }

    /**
     * Reads a {@code .properties} file into the same flattened shape (keys in file order), as
     * Spring reads {@code job-X.properties} next to {@code job-X.yml}.
     */
    static Yaml readProperties(Path path) throws IOException {
        final Yaml yaml = new Yaml(path.toString());
        java.util.Properties ordered = new java.util.Properties() {
            private static final long serialVersionUID = 1L;

            @Override
            public synchronized Object put(Object key, Object value) {
                yaml.values.put(String.valueOf(key), String.valueOf(value));
                return super.put(key, value);
            }
        };
        java.io.Reader in = Files.newBufferedReader(path, StandardCharsets.UTF_8);
        try {
            ordered.load(in);
        } finally {
            in.close();
        }
        return yaml;
    }

    static Yaml parse(String text, String file) throws ParseException {
        Yaml yaml = new Yaml(file);
        // Open mappings: indentation and the dotted key of each level.
        List<Integer> indents = new ArrayList<Integer>();
        List<String> keys = new ArrayList<String>();
        List<String> opened = new ArrayList<String>();
        java.util.Set<String> parents = new java.util.HashSet<String>();
        String[] rows = text.split("\n", -1);
        for (int n = 0; n < rows.length; n++) {
            int lineNo = n + 1;
            String row = rows[n];
            if (row.endsWith("\r")) row = row.substring(0, row.length() - 1);
            int indent = 0;
            while (indent < row.length() && row.charAt(indent) == ' ') indent++;
            String body = row.substring(indent);
            if (body.trim().isEmpty() || body.startsWith("#")) continue;
            if (body.startsWith("\t")) throw yaml.error(lineNo, "tab in indentation; indent with spaces");
            if (lineNo == 1 && body.startsWith("---")) continue;
            if (body.startsWith("- ") || body.equals("-")) throw yaml.error(lineNo, "lists are not supported here");
            int colon = findColon(body);
            if (colon <= 0) throw yaml.error(lineNo, "expected 'key: value', got '" + body.trim() + "'");
            String key = body.substring(0, colon).trim();
            if (!validKey(key)) throw yaml.error(lineNo, "unsupported key '" + key + "'");
            while (!indents.isEmpty() && indents.get(indents.size() - 1) >= indent) {
                indents.remove(indents.size() - 1);
                keys.remove(keys.size() - 1);
            }
            String parent = keys.isEmpty() ? null : keys.get(keys.size() - 1);
            String full = parent == null ? key : parent + "." + key;
            if (parent != null) parents.add(parent);
            String rest = body.substring(colon + 1);
            String value = scalar(yaml, lineNo, rest);
            if (yaml.lines.containsKey(full)) {
                throw yaml.error(lineNo, "'" + full + "' is already set on line " + yaml.lines.get(full));
            }
            if (value == null) {
                indents.add(indent);
                keys.add(full);
                opened.add(full);
            } else {
                yaml.values.put(full, value);
            }
            yaml.lines.put(full, lineNo);
        }
        // A mapping key with nothing under it reads as an empty value, as in Spring.
        for (String key : opened) {
            if (!parents.contains(key)) yaml.values.put(key, "");
        }
        return yaml;
    }

    /** The colon that ends the key: followed by a space or the end of the line. */
    private static int findColon(String body) {
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == ':' && (i + 1 == body.length() || body.charAt(i + 1) == ' ')) return i;
        }
        return -1;
    }

    private static boolean validKey(String key) {
        if (key.isEmpty()) return false;
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.';
            if (!ok) return false;
        }
        return true;
    }

    /** The scalar after the colon, or null when a nested mapping opens. */
    private static String scalar(Yaml yaml, int lineNo, String rest) throws ParseException {
        String s = rest.trim();
        if (s.isEmpty() || s.startsWith("#")) return null;
        char first = s.charAt(0);
        if (first == '\'' || first == '"') {
            StringBuilder out = new StringBuilder();
            int i = 1;
            boolean closed = false;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (first == '\'' && c == '\'') {
                    if (i + 1 < s.length() && s.charAt(i + 1) == '\'') {
                        out.append('\'');
                        i += 2;
                        continue;
                    }
                    closed = true;
                    i++;
                    break;
                }
                if (first == '"' && c == '\\' && i + 1 < s.length()) {
                    char e = s.charAt(i + 1);
                    out.append(e == 'n' ? '\n' : e == 't' ? '\t' : e);
                    i += 2;
                    continue;
                }
                if (first == '"' && c == '"') {
                    closed = true;
                    i++;
                    break;
                }
                out.append(c);
                i++;
            }
            if (!closed) throw yaml.error(lineNo, "unterminated quoted value");
            String after = s.substring(i).trim();
            if (!after.isEmpty() && !after.startsWith("#")) {
                throw yaml.error(lineNo, "unexpected text after the quoted value: '" + after + "'");
            }
            return out.toString();
        }
        if (first == '[' || first == '{' || first == '|' || first == '>' || first == '&' || first == '*'
                || first == '!') {
            throw yaml.error(lineNo, "only plain or quoted scalars are supported, got '" + s + "'");
        }
        int hash = s.indexOf(" #");
        if (hash >= 0) s = s.substring(0, hash).trim();
        return s;
    }

    private ParseException error(int line, String message) {
        return new ParseException(file + ":" + line + ": " + message);
    }

    String get(String key) {
        return values.get(key);
    }

    /** Sets {@code key} from outside the file; {@code origin} says where, for messages. */
    void override(String key, String value, String origin) {
        values.put(key, value);
        origins.put(key, origin);
    }

    /** Where a key was set, for messages: {@code file:line}. */
    String where(String key) {
        String origin = origins.get(key);
        if (origin != null) return origin;
        Integer line = lines.get(key);
        return line == null ? file : file + ":" + line;
    }
}
