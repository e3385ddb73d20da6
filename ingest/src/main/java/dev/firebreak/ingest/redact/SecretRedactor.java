package dev.firebreak.ingest.redact;

import dev.firebreak.ingest.sql.SqlLexer;
import dev.firebreak.ingest.sql.SqlLexer.Kind;
import dev.firebreak.ingest.sql.SqlLexer.Token;
import java.util.List;
import java.util.Locale;

/**
 * Replaces secrets in SQL text with {@value #REDACTED} before the text leaves ingest, as pgAudit
 * does for passwords. The rule, for the trigger path to mirror: a string literal (any form:
 * {@code '..'}, {@code E'..'}, {@code U&'..'}, {@code $tag$..$tag$}) is a secret when the word or
 * quoted identifier right before it (comments skipped) contains {@code password}, case aside. That
 * covers {@code [ENCRYPTED] PASSWORD '..'} of roles and the {@code password}, {@code sslpassword}
 * ... options of {@code USER MAPPING}, {@code SERVER} and {@code SUBSCRIPTION} ({@code OPTIONS
 * (password '..')}, {@code (SET password '..')}, {@code ("password" '..')}). A literal after
 * {@code CONNECTION} (a subscription's connection string) is a secret when it mentions a password.
 */
public final class SecretRedactor {
    /** What a secret literal becomes. */
    public static final String REDACTED = "'<redacted>'";

    private SecretRedactor() {
    }

    /** {@code sql} with every secret literal replaced; null stays null. */
    public static String redact(String sql) {
        if (sql == null || !mentionsPassword(sql)) {
            return sql;
        }
        List<Token> tokens = SqlLexer.tokens(sql);
        StringBuilder out = new StringBuilder(sql.length());
        int copied = 0;
        for (int i = 1; i < tokens.size(); i++) {
            Token literal = tokens.get(i);
            if (literal.start() >= copied && isSecret(tokens.get(i - 1), literal)) {
                out.append(sql, copied, literal.start()).append(REDACTED);
                copied = coveredEnd(sql, literal);
            }
        }
        return out.append(sql, Math.min(copied, sql.length()), sql.length()).toString();
    }

    private static boolean isSecret(Token before, Token literal) {
        if (literal.kind() != Kind.STRING && literal.kind() != Kind.DOLLAR_STRING) {
            return false;
        }
        if (before.isWord("connection")) {
            return mentionsPassword(literal.value());
        }
        return before.isName() && mentionsPassword(before.name());
    }

    // The log does not say whether the session read '..' with backslash escapes
    // (standard_conforming_strings = off), so a plain literal is covered to the later of both ends.
    private static int coveredEnd(String sql, Token literal) {
        if (literal.kind() != Kind.STRING || literal.text().charAt(0) != '\'') {
            return literal.end();
        }
        return Math.max(literal.end(), SqlLexer.stringEnd(sql, literal.start(), true));
    }

    private static boolean mentionsPassword(String text) {
        return text.toLowerCase(Locale.ROOT).contains("password");
    }
}
