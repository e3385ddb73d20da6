package dev.firebreak.ingest.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates {@code firebreak.agent_actions} and adds it to Firebreak's publication, from the resource
 * script {@value #SCRIPT}. Idempotent: it runs at every start, in one transaction, and a second run
 * changes nothing. Runs after the capture objects exist (the publication must be there) and before
 * the engine starts streaming.
 */
public final class AgentActionTableInstaller {
    /** The script, next to this class on the classpath. */
    public static final String SCRIPT = "agent_actions.sql";
    private static final Logger LOG = LoggerFactory.getLogger(AgentActionTableInstaller.class);
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final String publication;

    /** @param publication the pgoutput publication the Debezium engine reads */
    public AgentActionTableInstaller(String publication) {
        if (!IDENTIFIER.matcher(publication).matches()) {
            throw new IllegalArgumentException("publication '" + publication + "' must be a lower-case identifier matching "
                    + IDENTIFIER);
        }
        this.publication = publication;
    }

    /** Brings the table and its publication membership into place. */
    public void install(Connection connection) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement st = connection.createStatement()) {
            st.execute(render());
            connection.commit();
            LOG.info("agent action table firebreak.agent_actions in publication {}", publication);
        } catch (SQLException e) {
            connection.rollback();
            throw new SQLException("installing " + SCRIPT + " failed: " + e.getMessage(), e.getSQLState(), e);
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    String render() {
        return load().replace("${publication}", publication);
    }

    private static String load() {
        try (InputStream in = AgentActionTableInstaller.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException("script " + SCRIPT + " missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
