package dev.firebreak.stack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

/**
 * A real PostgreSQL 17 server from the zonky binaries, configured for logical decoding and with
 * durability back on (zonky turns fsync and synchronous_commit off, which would flatter latency).
 */
public final class EmbeddedPostgres17 implements PostgresService {
    /** The superuser zonky creates; the operator login of the local stack. */

    private final EmbeddedPostgres server;
    private final Path dataDirectory;

    private EmbeddedPostgres17(EmbeddedPostgres server, Path dataDirectory) {
        this.server = server;
        this.dataDirectory = dataDirectory;
    }

    /** Starts a server with the settings Firebreak needs; {@code extra} overrides or adds server settings. */
    public static EmbeddedPostgres17 start(Map<String, String> extra) {
        try {
            Path dir = Files.createTempDirectory("firebreak-pg");
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(true)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("wal_level", "logical")
                    .setServerConfig("max_wal_senders", "10")
                    .setServerConfig("max_replication_slots", "10")
                    // a stopped ingest must never fill the primary's disk: past this, PostgreSQL
                    // invalidates the slot (capture must then be re-initialised) instead
                    .setServerConfig("max_slot_wal_keep_size", "1GB")
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("password_encryption", "scram-sha-256")
                    // the second capture path reads DDL on databases, roles and tablespaces from here
                    .setServerConfig("logging_collector", "on")
                    .setServerConfig("log_destination", "jsonlog")
                    .setServerConfig("log_statement", "ddl")
                    .setServerConfig("log_directory", "log")
                    .setServerConfig("log_filename", "postgresql-%Y%m%d-%H%M%S.log")
                    // what ingest's dml.routine=summary reads; loaded as most production servers have it
                    .setServerConfig("shared_preload_libraries", "pg_stat_statements");
            extra.forEach(builder::setServerConfig);
            EmbeddedPostgres server = builder.start();
            EmbeddedPostgres17 pg = new EmbeddedPostgres17(server, dir);
            pg.setSuperuserPassword();
            return pg;
        } catch (IOException | SQLException e) {
            throw new IllegalStateException("PostgreSQL did not start: " + e.getMessage(), e);
        }
    }

    private void setSuperuserPassword() throws SQLException {
        try (Connection c = connect(SUPERUSER, null); var st = c.createStatement()) {
            st.execute("ALTER ROLE " + SUPERUSER + " PASSWORD '" + SUPERUSER_PASSWORD + "'");
        }
    }

    @Override
    public String host() {
        return "127.0.0.1";
    }

    @Override
    public int port() {
        return server.getPort();
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    @Override
    public java.util.Optional<Path> localDataDirectory() {
        return java.util.Optional.of(dataDirectory);
    }





    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new IllegalStateException("PostgreSQL did not stop cleanly", e);
        }
    }
}
