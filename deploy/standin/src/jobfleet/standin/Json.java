package jobfleet.standin;

/** Just enough JSON writing for actuator and config-server answers. */
final class Json {
    private Json() {}

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
}
