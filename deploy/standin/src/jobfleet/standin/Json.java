package jobfleet.standin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Just enough JSON for actuator and config-server answers: writing strings, and reading a document. */
final class Json {
    private Json() {}

    static final class ParseException extends Exception {
        ParseException(String message) {
            super(message);
        }
    }

    static String string(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        String hex = Integer.toHexString(c);
                        b.append("\\u");
                        for (int k = hex.length(); k < 4; k++) b.append('0');
                        b.append(hex);
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }

    /**
     * Reads a JSON document: objects become {@code Map<String, Object>} (in document order),
     * arrays {@code List<Object>}, strings {@code String}, numbers their text as {@code String},
     * {@code true}/{@code false} {@code Boolean}, {@code null} null.
     */
    static Object parse(String text) throws ParseException {
        Reader r = new Reader(text);
        r.space();
        Object value = r.value(0);
        r.space();
        if (r.pos != text.length()) throw r.error("unexpected text after the document");
        return value;
    }

    private static final class Reader {
        private static final int MAX_DEPTH = 64;
        final String s;
        int pos;

        Reader(String s) {
            this.s = s;
        }

        ParseException error(String message) {
            return new ParseException(message + " at offset " + pos);
        }

        void space() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
                pos++;
            }
        }

        Object value(int depth) throws ParseException {
            if (depth > MAX_DEPTH) throw error("nested too deeply");
            if (pos >= s.length()) throw error("unexpected end");
            char c = s.charAt(pos);
            if (c == '{') return object(depth);
            if (c == '[') return array(depth);
            if (c == '"') return string();
            if (s.startsWith("true", pos)) { pos += 4; return Boolean.TRUE; }
            if (s.startsWith("false", pos)) { pos += 5; return Boolean.FALSE; }
            if (s.startsWith("null", pos)) { pos += 4; return null; }
            int start = pos;
            while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) pos++;
            if (pos == start) throw error("unexpected character '" + c + "'");
            return s.substring(start, pos);
        }

        Map<String, Object> object(int depth) throws ParseException {
            Map<String, Object> out = new LinkedHashMap<String, Object>();
            pos++;
            space();
            if (pos < s.length() && s.charAt(pos) == '}') { pos++; return out; }
            while (true) {
                space();
                if (pos >= s.length() || s.charAt(pos) != '"') throw error("expected a member name");
                String key = string();
                space();
                if (pos >= s.length() || s.charAt(pos) != ':') throw error("expected ':'");
                pos++;
                space();
                out.put(key, value(depth + 1));
                space();
                if (pos >= s.length()) throw error("unterminated object");
                char c = s.charAt(pos++);
                if (c == '}') return out;
                if (c != ',') throw error("expected ',' or '}'");
            }
        }

        List<Object> array(int depth) throws ParseException {
            List<Object> out = new ArrayList<Object>();
            pos++;
            space();
            if (pos < s.length() && s.charAt(pos) == ']') { pos++; return out; }
            while (true) {
                space();
                out.add(value(depth + 1));
                space();
                if (pos >= s.length()) throw error("unterminated array");
                char c = s.charAt(pos++);
                if (c == ']') return out;
                if (c != ',') throw error("expected ',' or ']'");
            }
        }

        String string() throws ParseException {
            StringBuilder b = new StringBuilder();
            pos++;
            while (pos < s.length()) {
                char c = s.charAt(pos++);
                if (c == '"') return b.toString();
                if (c != '\\') { b.append(c); continue; }
                if (pos >= s.length()) break;
                char e = s.charAt(pos++);
                switch (e) {
                    case 'n': b.append('\n'); break;
                    case 't': b.append('\t'); break;
                    case 'r': b.append('\r'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'u':
                        if (pos + 4 > s.length()) throw error("short \\u escape");
                        try {
                            b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                        } catch (NumberFormatException x) {
                            throw error("bad \\u escape");
                        }
                        pos += 4;
                        break;
                    default: b.append(e);
                }
            }
            throw error("unterminated string");
        }
    }
}
