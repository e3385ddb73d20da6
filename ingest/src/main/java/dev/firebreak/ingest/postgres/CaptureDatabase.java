package dev.firebreak.ingest.postgres;

import dev.firebreak.ingest.IngestConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** How capture connects to the watched database (JDBC), as ingest's configured user. */
final class CaptureDatabase implements CaptureHealth.ConnectionFactory {
    private final IngestConfig config;

    CaptureDatabase(IngestConfig config) {
        this.config = config;
    }

    @Override
    public Connection open() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", config.pgUser());
        if (config.pgPassword() != null) {
            props.setProperty("password", config.pgPassword());
        }
        return DriverManager.getConnection(
                "jdbc:postgresql://" + config.pgHost() + ":" + config.pgPort() + "/" + config.pgDatabase(), props);
    }

    /** The database's name, for messages. */
    String name() {
        return config.pgDatabase();
    }
}
