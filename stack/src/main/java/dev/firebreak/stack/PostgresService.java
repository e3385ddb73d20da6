package dev.firebreak.stack;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Properties;

/**
 * A running PostgreSQL 17 with {@code wal_level=logical}, {@code log_statement=ddl} and a superuser
 * {@code postgres}/{@code postgres}: in this JVM's child process, or a container.
 */
public interface PostgresService extends AutoCloseable {
    String SUPERUSER = "postgres";
    String SUPERUSER_PASSWORD = "postgres";
    String DATABASE = "postgres";

    String host();

    int port();

    /**
     * The data directory when it is on this machine (the server-log capture reads the jsonlog there);
     * empty for a container.
     */
    Optional<Path> localDataDirectory();

    default String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port() + "/" + database;
    }

    default String jdbcUrl() {
        return jdbcUrl(DATABASE);
    }

    /** A new connection as the superuser. */
    default Connection superuserConnection() throws SQLException {
        return connect(SUPERUSER, SUPERUSER_PASSWORD);
    }

    /** A new connection to the default database as {@code user}. */
    default Connection connect(String user, String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        if (password != null) {
            props.setProperty("password", password);
        }
        return DriverManager.getConnection(jdbcUrl(), props);
    }

    @Override
    void close();
}
