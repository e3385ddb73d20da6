package dev.firebreak.ingest.postgres;

import dev.firebreak.stack.EmbeddedPostgres17;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/** Fresh login roles for capture tests, each with a table of its own. */
final class TestRoles {
    private TestRoles() {
    }

    /**
     * A login role {@code <prefix>_<random>} (password pw) owning schema {@code <role>} with table
     * {@code t(id, v)} of {@code rows} rows.
     */
    static String newRoleWithTable(EmbeddedPostgres17 pg, String prefix, int rows) throws SQLException {
        String role = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'pw'");
            st.execute("CREATE SCHEMA " + role + " AUTHORIZATION " + role);
            st.execute("CREATE TABLE " + role + ".t (id int PRIMARY KEY, v text)");
            st.execute("INSERT INTO " + role + ".t SELECT g, 'v' || g FROM generate_series(1, " + rows + ") g");
            st.execute("ALTER TABLE " + role + ".t OWNER TO " + role);
        }
        return role;
    }
}
