package dev.firebreak.ingest.classify;

import java.util.ArrayList;
import java.util.List;

/**
 * Lexical handling of SQL text that must work even when the parser cannot: splitting a script
 * into statements and reducing a statement to its keywords for the fallback rules.
 *
 * <p>Both respect PostgreSQL's lexical rules closely enough for classification: '...' strings
 * (with '' and, for E'...', backslash escapes), "..." and `...` identifiers, -- and nested block
 * comments, $tag$...$tag$ bodies, and psql meta-commands (a line starting with a backslash). A
 * ";" inside any of those does not end a statement, and DROP inside a comment or string is not
 * a keyword.
 */
final class SqlText {

    private SqlText() {
    }

    /** The statements of a script, trimmed, without separators, comment-only pieces dropped. */
    static List<String> split(String sql) {
        List<String> out = new ArrayList<>();
        Scanner sc = new Scanner(sql);
        int start = 0;
        while (sc.pos < sql.length()) {
            char c = sql.charAt(sc.pos);
            if (c == ';') {
                add(out, sql.substring(start, sc.pos));
                start = ++sc.pos;
            } else if (c == '\\' && sc.atLineStart()) {
                add(out, sql.substring(start, sc.pos));
                start = sc.pos;
                sc.skipLine();
                add(out, sql.substring(start, sc.pos));
                start = sc.pos;
            } else {
                sc.skipToken();
            }
        }
        add(out, sql.substring(start));
        return out;
    }

    /**
     * The statement as the fallback rules see it: comments removed, string literals outside
     * $$-bodies blanked to '' (a DROP inside a value is data), $$ delimiters removed but their body
     * kept (a DO block's body is code, and its EXECUTE 'DROP TABLE ...' strings are what it runs),
     * whitespace collapsed to single spaces.
     */
    static String keywords(String statement) {
        StringBuilder out = new StringBuilder();
        Scanner sc = new Scanner(statement);
        while (sc.pos < statement.length()) {
            int from = sc.pos;
            Token t = sc.skipToken();
            switch (t) {
                case COMMENT -> out.append(' ');
                case STRING -> out.append("''");
                case DOLLAR_BODY -> out.append(' ').append(sc.lastBody).append(' ');
                default -> out.append(statement, from, sc.pos);
            }
        }
        return out.toString().replaceAll("\\s+", " ").strip();
    }

    private static void add(List<String> out, String piece) {
        String trimmed = piece.strip();
        if (!keywords(trimmed).isEmpty()) {
            out.add(trimmed);
        }
    }

    private enum Token { COMMENT, STRING, IDENTIFIER, DOLLAR_BODY, OTHER }

    /** A cursor over SQL text that skips one lexical token at a time. */
    private static final class Scanner {
        private final String s;
        private int pos;
        private String lastBody = "";

        Scanner(String s) {
            this.s = s;
        }

        boolean atLineStart() {
            for (int i = pos - 1; i >= 0; i--) {
                char c = s.charAt(i);
                if (c == '\n') {
                    return true;
                }
                if (!Character.isWhitespace(c)) {
                    return false;
                }
            }
            return true;
        }

        void skipLine() {
            int nl = s.indexOf('\n', pos);
            pos = nl < 0 ? s.length() : nl + 1;
        }

        Token skipToken() {
            char c = s.charAt(pos);
            char next = pos + 1 < s.length() ? s.charAt(pos + 1) : '\0';
            if (c == '-' && next == '-') {
                skipLine();
                return Token.COMMENT;
            }
            if (c == '/' && next == '*') {
                skipBlockComment();
                return Token.COMMENT;
            }
            if (c == '\'') {
                boolean escapes = pos > 0 && (s.charAt(pos - 1) == 'E' || s.charAt(pos - 1) == 'e');
                skipQuoted('\'', escapes);
                return Token.STRING;
            }
            if (c == '"' || c == '`') {
                skipQuoted(c, false);
                return Token.IDENTIFIER;
            }
            if (c == '$' && skipDollarBody()) {
                return Token.DOLLAR_BODY;
            }
            pos++;
            return Token.OTHER;
        }

        private void skipBlockComment() {
            int depth = 0;
            while (pos < s.length()) {
                if (s.startsWith("/*", pos)) {
                    depth++;
                    pos += 2;
                } else if (s.startsWith("*/", pos)) {
                    depth--;
                    pos += 2;
                    if (depth == 0) {
                        return;
                    }
                } else {
                    pos++;
                }
            }
        }

        private void skipQuoted(char quote, boolean backslashEscapes) {
            pos++;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (backslashEscapes && c == '\\') {
                    pos += 2;
                } else if (c == quote && pos + 1 < s.length() && s.charAt(pos + 1) == quote) {
                    pos += 2;
                } else if (c == quote) {
                    pos++;
                    return;
                } else {
                    pos++;
                }
            }
        }

        /** Skips $tag$...$tag$ and keeps its body; false when the $ does not open one ($1, a$b). */
        private boolean skipDollarBody() {
            if (pos > 0 && (Character.isLetterOrDigit(s.charAt(pos - 1)) || s.charAt(pos - 1) == '_')) {
                return false;
            }
            int end = pos + 1;
            while (end < s.length() && (Character.isLetterOrDigit(s.charAt(end)) || s.charAt(end) == '_')) {
                end++;
            }
            if (end >= s.length() || s.charAt(end) != '$' || (end > pos + 1 && Character.isDigit(s.charAt(pos + 1)))) {
                return false;
            }
            String tag = s.substring(pos, end + 1);
            int close = s.indexOf(tag, end + 1);
            int bodyEnd = close < 0 ? s.length() : close;
            lastBody = s.substring(end + 1, bodyEnd);
            pos = close < 0 ? s.length() : close + tag.length();
            return true;
        }
    }
}
