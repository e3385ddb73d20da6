package dev.firebreak.killswitch;

/**
 * Renders attacker-influenced text (role names, details) safely for one log line: control and
 * line-separator characters are escaped, so a role named {@code "x\nINFO all good"} cannot forge a log entry.
 */
final class Printable {
    private Printable() {
    }

    static String of(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
