package dev.firebreak.killswitch.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The kill switch's SQL: files beside this class under {@code dev/firebreak/killswitch/postgres/}, one
 * statement each, read once when the class that uses them is initialised. A missing file fails that
 * initialisation, so a broken build never reaches a database.
 */
final class KillSwitchSql {
    /** The dollar quote around the functions' bodies. */
    static final String BODY_QUOTE = "$firebreak$";

    private KillSwitchSql() {
    }

    /** The statement in {@code name}, trailing blanks removed. */
    static String load(String name) {
        try (InputStream in = KillSwitchSql.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("SQL file " + name + " missing from the classpath beside "
                        + KillSwitchSql.class.getName());
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).stripTrailing();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read SQL file " + name, e);
        }
    }

    /**
     * The body of a {@code CREATE FUNCTION ... AS $firebreak$<body>$firebreak$}: what PostgreSQL keeps as
     * {@code pg_proc.prosrc}, so comparing it with the installed one tells whether to replace the function.
     */
    static String functionBody(String createFunction) {
        int start = createFunction.indexOf("AS " + BODY_QUOTE);
        int end = createFunction.lastIndexOf(BODY_QUOTE);
        if (start < 0 || end <= start + "AS ".length()) {
            throw new IllegalStateException("function definition has no body between " + BODY_QUOTE + " quotes");
        }
        return createFunction.substring(start + "AS ".length() + BODY_QUOTE.length(), end);
    }
}
