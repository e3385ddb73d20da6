package dev.firebreak.ingest.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs Firebreak's capture objects (schema {@code firebreak}, the emit function, the event
 * triggers, the publication) into a watched database. Scripts are versioned; each runs once, in
 * its own transaction, and is written so that running it again changes nothing.
 */
public final class TriggerInstaller {
    /** The scripts in order; the version is the number after V. */
    static final List<String> SCRIPTS = List.of("V1__audit_capture.sql");
    private static final Logger LOG = LoggerFactory.getLogger(TriggerInstaller.class);
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._-]{1,100}");

    private final Map<String, String> placeholders;

    /**
     * @param messagePrefix prefix of every logical decoding message Firebreak emits
     * @param publication   name of the (initially empty) pgoutput publication
     * @param statementMaxChars statements longer than this are truncated in events
     */
    public TriggerInstaller(String messagePrefix, String publication, int statementMaxChars) {
        if (!PREFIX.matcher(messagePrefix).matches()) {
            throw new IllegalArgumentException("message prefix '" + messagePrefix + "' must match " + PREFIX);
        }
        if (!IDENTIFIER.matcher(publication).matches()) {
            throw new IllegalArgumentException("publication '" + publication + "' must be a lower-case identifier matching " + IDENTIFIER);
        }
        if (statementMaxChars < 16 || statementMaxChars > 1_000_000) {
            throw new IllegalArgumentException("statement max chars must be in 16..1000000, was " + statementMaxChars);
        }
        this.placeholders = Map.of(
                "message_prefix", messagePrefix,
                "publication", publication,
                "statement_max_chars", Integer.toString(statementMaxChars));
    }

    /** Brings the database to the newest version; returns the versions applied now. */
    public List<Integer> install(Connection connection) throws SQLException {
        int installed = installedVersion(connection);
        List<Integer> applied = new java.util.ArrayList<>();
        for (String script : SCRIPTS) {
            int version = versionOf(script);
            if (version > installed) {
                apply(connection, script);
                applied.add(version);
            }
        }
        LOG.info("Firebreak capture schema at version {} (applied now: {})", Math.max(installed, latestVersion()), applied);
        return applied;
    }

    /** The highest version installed, 0 when none. */
    public static int installedVersion(Connection connection) throws SQLException {
        DatabaseMetaData meta = connection.getMetaData();
        try (ResultSet tables = meta.getTables(null, "firebreak", "schema_version", null)) {
            if (!tables.next()) {
                return 0;
            }
        }
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(max(version), 0) FROM firebreak.schema_version")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    static int latestVersion() {
        return versionOf(SCRIPTS.get(SCRIPTS.size() - 1));
    }

    private void apply(Connection connection, String script) throws SQLException {
        String sql = render(load(script));
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
            connection.commit();
            LOG.info("applied {}", script);
        } catch (SQLException e) {
            connection.rollback();
            throw new SQLException("installing " + script + " failed: " + e.getMessage(), e.getSQLState(), e);
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    String render(String template) {
        String sql = template;
        for (var entry : placeholders.entrySet()) {
            sql = sql.replace("${" + entry.getKey() + "}", entry.getValue());
        }
        return sql;
    }

    private static String load(String script) {
        try (InputStream in = TriggerInstaller.class.getResourceAsStream(script)) {
            if (in == null) {
                throw new IllegalStateException("script " + script + " missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int versionOf(String script) {
        return Integer.parseInt(script.substring(1, script.indexOf("__")));
    }
}
