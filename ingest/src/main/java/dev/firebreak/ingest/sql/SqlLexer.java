package dev.firebreak.ingest.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits PostgreSQL SQL text into tokens the way PostgreSQL's scanner does for what matters to
 * Firebreak: string literals ({@code '..'} with doubled quotes, {@code E'..'} with backslash
 * escapes, {@code U&'..'}, {@code $tag$..$tag$}), quoted identifiers, nested block comments and
 * line comments. It does not parse. Input that ends inside a literal or comment (a truncated
 * statement) ends the token there. Linear in the length of the input.
 */
public final class SqlLexer {
    /** What a token is; comments and whitespace yield no token. */
    public enum Kind { WORD, QUOTED_IDENTIFIER, STRING, DOLLAR_STRING, PARAMETER, NUMBER, SEMICOLON, COMMA, OPEN_PAREN, CLOSE_PAREN, OTHER }

    /**
     * One token: {@code text} is the source between {@code start} (inclusive) and {@code end}
     * (exclusive), a string literal's prefix and quotes included.
     */
    public record Token(Kind kind, int start, int end, String text) {
        /** True for a bare word equal to {@code keyword} regardless of case. */
        public boolean isWord(String keyword) {
            return kind == Kind.WORD && text.equalsIgnoreCase(keyword);
        }

        /** True for a bare word or a quoted identifier. */
        public boolean isName() {
            return kind == Kind.WORD || kind == Kind.QUOTED_IDENTIFIER;
        }

        /** A name as PostgreSQL resolves it: bare words fold to lower case, quoted ones keep theirs. */
        public String name() {
            if (kind == Kind.QUOTED_IDENTIFIER) {
                int close = text.length() > 1 && text.endsWith("\"") ? text.length() - 1 : text.length();
                return text.substring(1, Math.max(1, close)).replace("\"\"", "\"");
            }
            return text.toLowerCase(Locale.ROOT);
        }

        /** The value of a string literal, escapes resolved; the text itself for other tokens. */
        public String value() {
            return switch (kind) {
                case STRING -> stringValue(text);
                case DOLLAR_STRING -> dollarValue(text);
                default -> text;
            };
        }
    }

    private SqlLexer() {
    }

    /** The tokens of {@code sql}, comments and whitespace left out, {@code '..'} read without escapes (the default). */
    public static List<Token> tokens(String sql) {
        return tokens(sql, false);
    }

    /**
     * The tokens of {@code sql}; {@code backslashEscapes} reads {@code '..'} as a session with
     * {@code standard_conforming_strings = off} does.
     */
    public static List<Token> tokens(String sql, boolean backslashEscapes) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < sql.length()) {
            int end = skipBlank(sql, i);
            if (end > i) {
                i = end;
                continue;
            }
            Token token = next(sql, i, backslashEscapes);
            tokens.add(token);
            i = token.end();
        }
        return tokens;
    }

    /**
     * Where a quoted literal opening at {@code quote} ends, reading backslashes as escapes or not.
     * PostgreSQL reads {@code '..'} with escapes when a session sets
     * {@code standard_conforming_strings = off}, which the log does not show; a caller that must
     * not under-cover (redaction) can take the later of both ends.
     */
    public static int stringEnd(String sql, int quote, boolean backslashEscapes) {
        int i = quote + 1;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (backslashEscapes && c == '\\') {
                i += 2;
            } else if (c == '\'') {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == '\'') {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return sql.length();
    }

    private static int skipBlank(String sql, int i) {
        char c = sql.charAt(i);
        if (Character.isWhitespace(c)) {
            return i + 1;
        }
        if (sql.startsWith("--", i)) {
            int end = sql.indexOf('\n', i);
            return end < 0 ? sql.length() : end + 1;
        }
        if (sql.startsWith("/*", i)) {
            return blockCommentEnd(sql, i);
        }
        return i;
    }

    // PostgreSQL's block comments nest: "/* a /* b */ c */" is one comment.
    private static int blockCommentEnd(String sql, int start) {
        int depth = 0;
        int i = start;
        while (i < sql.length()) {
            if (sql.startsWith("/*", i)) {
                depth++;
                i += 2;
            } else if (sql.startsWith("*/", i)) {
                depth--;
                i += 2;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        return sql.length();
    }

    private static Token next(String sql, int i, boolean backslashEscapes) {
        char c = sql.charAt(i);
        return switch (c) {
            case '\'' -> token(sql, Kind.STRING, i, stringEnd(sql, i, backslashEscapes));
            case '"' -> token(sql, Kind.QUOTED_IDENTIFIER, i, quotedIdentifierEnd(sql, i));
            case '$' -> dollar(sql, i);
            case ';' -> token(sql, Kind.SEMICOLON, i, i + 1);
            case ',' -> token(sql, Kind.COMMA, i, i + 1);
            case '(' -> token(sql, Kind.OPEN_PAREN, i, i + 1);
            case ')' -> token(sql, Kind.CLOSE_PAREN, i, i + 1);
            default -> wordOrOther(sql, i);
        };
    }

    private static Token wordOrOther(String sql, int i) {
        char c = sql.charAt(i);
        if (Character.isDigit(c)) {
            int end = i;
            while (end < sql.length() && (Character.isLetterOrDigit(sql.charAt(end)) || sql.charAt(end) == '.' || sql.charAt(end) == '_')) {
                end++;
            }
            return token(sql, Kind.NUMBER, i, end);
        }
        if (!isIdentifierStart(c)) {
            return token(sql, Kind.OTHER, i, i + 1);
        }
        int end = i + 1;
        while (end < sql.length() && isIdentifierPart(sql.charAt(end))) {
            end++;
        }
        return prefixedLiteral(sql, i, end);
    }

    // E'..', N'..', B'..', X'..' and U&'..' are one literal token, not a word and a string.
    private static Token prefixedLiteral(String sql, int start, int wordEnd) {
        String word = sql.substring(start, wordEnd);
        boolean quoteFollows = wordEnd < sql.length() && sql.charAt(wordEnd) == '\'';
        if (quoteFollows && word.length() == 1 && "EeNnBbXx".indexOf(word.charAt(0)) >= 0) {
            boolean escapes = word.equalsIgnoreCase("e");
            return token(sql, Kind.STRING, start, stringEnd(sql, wordEnd, escapes));
        }
        if (word.equalsIgnoreCase("u") && sql.startsWith("&'", wordEnd)) {
            return token(sql, Kind.STRING, start, stringEnd(sql, wordEnd + 1, false));
        }
        return token(sql, Kind.WORD, start, wordEnd);
    }

    private static Token dollar(String sql, int i) {
        if (i + 1 < sql.length() && Character.isDigit(sql.charAt(i + 1))) {
            int end = i + 1;
            while (end < sql.length() && Character.isDigit(sql.charAt(end))) {
                end++;
            }
            return token(sql, Kind.PARAMETER, i, end);
        }
        int tagEnd = i + 1;
        while (tagEnd < sql.length() && isIdentifierPart(sql.charAt(tagEnd)) && sql.charAt(tagEnd) != '$') {
            tagEnd++;
        }
        if (tagEnd >= sql.length() || sql.charAt(tagEnd) != '$') {
            return token(sql, Kind.OTHER, i, i + 1);
        }
        String tag = sql.substring(i, tagEnd + 1);
        int close = sql.indexOf(tag, tagEnd + 1);
        return token(sql, Kind.DOLLAR_STRING, i, close < 0 ? sql.length() : close + tag.length());
    }

    private static int quotedIdentifierEnd(String sql, int quote) {
        int i = quote + 1;
        while (i < sql.length()) {
            if (sql.charAt(i) == '"') {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == '"') {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return sql.length();
    }

    private static boolean isIdentifierStart(char c) {
        return Character.isLetter(c) || c == '_' || c >= 0x80;
    }

    private static boolean isIdentifierPart(char c) {
        return isIdentifierStart(c) || Character.isDigit(c) || c == '$';
    }

    private static Token token(String sql, Kind kind, int start, int end) {
        return new Token(kind, start, end, sql.substring(start, end));
    }

    private static String stringValue(String text) {
        int quote = text.indexOf('\'');
        boolean escapes = quote == 1 && (text.charAt(0) == 'E' || text.charAt(0) == 'e');
        int close = text.length() > quote + 1 && text.endsWith("'") ? text.length() - 1 : text.length();
        String body = text.substring(quote + 1, close);
        return escapes ? unescape(body) : body.replace("''", "'");
    }

    // Enough of E'' escapes to read SQL held in such a literal; octal, hex and Unicode escapes stay as written.
    private static String unescape(String body) {
        StringBuilder out = new StringBuilder(body.length());
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\\' && i + 1 < body.length()) {
                char e = body.charAt(++i);
                out.append(switch (e) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    case 'r' -> '\r';
                    case 'b' -> '\b';
                    case 'f' -> '\f';
                    default -> e;
                });
            } else if (c == '\'' && i + 1 < body.length() && body.charAt(i + 1) == '\'') {
                out.append('\'');
                i++;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String dollarValue(String text) {
        String tag = text.substring(0, text.indexOf('$', 1) + 1);
        boolean closed = text.length() >= 2 * tag.length() && text.endsWith(tag);
        return text.substring(tag.length(), closed ? text.length() - tag.length() : text.length());
    }
}
