package dev.firebreak.ingest.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.guard.GuardException;
import dev.firebreak.guard.GuardPolicy;
import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.guard.GuardConfig;
import dev.firebreak.ingest.guard.GuardPolicyInstaller;
import dev.firebreak.stack.EmbeddedPostgres17;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Strict mode (V4) in SQL on a real PostgreSQL 17, beats written and aged by hand so that nothing
 * depends on timing: with the required heartbeat stale, guarded roles' DROP, TRUNCATE and judged
 * DELETE/UPDATE are refused with FB004; unguarded roles, superusers and routine statements are not.
 */
class StrictModeSqlIT {
    private static final String GUARD_GROUP = "strict_it_guarded";
    private static EmbeddedPostgres17 pg;

    private String guarded;
    private String unguarded;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres17.start(Map.of());
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            new TriggerInstaller(IngestConfig.DEFAULT_MESSAGE_PREFIX, "firebreak_audit", 2048).install(admin);
            st.execute("CREATE ROLE " + GUARD_GROUP + " NOLOGIN");
        }
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    @BeforeEach
    void roles() throws SQLException {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        guarded = "g_" + suffix;
        unguarded = "u_" + suffix;
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            for (String role : List.of(guarded, unguarded)) {
                st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'pw'");
                st.execute("CREATE SCHEMA " + role + " AUTHORIZATION " + role);
            }
            st.execute("GRANT " + GUARD_GROUP + " TO " + guarded);
        }
        for (String role : List.of(guarded, unguarded)) {
            ownTables(role);
        }
        beat("capture", Instant.now());
    }

    @Test
    void strictOffLetsADropThroughWhateverTheBeat() throws Exception {
        policy(0, "capture", List.of());
        beat("capture", Instant.now().minus(1, ChronoUnit.HOURS));
        run(guarded, "DROP TABLE " + guarded + ".t1");
        assertThat(exists(guarded + ".t1")).isFalse();
    }

    @Test
    void strictOnWithAFreshBeatLetsADropThrough() throws Exception {
        policy(30_000, "capture", List.of());
        run(guarded, "DROP TABLE " + guarded + ".t1");
        assertThat(exists(guarded + ".t1")).isFalse();
    }

    @Test
    void strictOnWithAStaleBeatRefusesGuardedDestructionUntilTheBeatReturns() throws Exception {
        policy(30_000, "capture", List.of());
        beat("capture", Instant.now().minus(2, ChronoUnit.MINUTES));
        refused(() -> run(guarded, "DROP TABLE " + guarded + ".t1"));
        refused(() -> run(guarded, "DROP SCHEMA " + guarded + " CASCADE"));
        refused(() -> run(guarded, "TRUNCATE " + guarded + ".t2"));
        refused(() -> run(guarded, "DELETE FROM " + guarded + ".t2"));
        refused(() -> run(guarded, "UPDATE " + guarded + ".t2 SET v = v + 1"));
        assertThat(rows(guarded + ".t2")).isEqualTo(1000);
        assertThat(exists(guarded + ".t1")).isTrue();
        // routine statements (below firebreak.routine_below()) take the hot path, which strict mode leaves alone
        run(guarded, "DELETE FROM " + guarded + ".t2 WHERE id <= 5");
        assertThat(rows(guarded + ".t2")).isEqualTo(995);
        // neither an unguarded role nor a superuser is refused
        run(unguarded, "DROP TABLE " + unguarded + ".t1");
        run(unguarded, "TRUNCATE " + unguarded + ".t2");
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("DROP TABLE " + guarded + ".t3");
        }
        beat("capture", Instant.now());
        run(guarded, "DELETE FROM " + guarded + ".t2");
        run(guarded, "DROP SCHEMA " + guarded + " CASCADE");
        assertThat(exists(guarded + ".t1")).isFalse();
    }

    @Test
    void theRefusalNamesTheStalenessAndIsEmittedLikeEveryGuardRefusal() throws Exception {
        policy(30_000, "capture", List.of());
        Instant stale = Instant.now().minus(5, ChronoUnit.MINUTES);
        beat("capture", stale);
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("SELECT pg_create_logical_replication_slot('strict_it_" + guarded + "', 'test_decoding')");
        }
        try {
            assertThatThrownBy(() -> run(guarded, "DROP TABLE " + guarded + ".t1"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("FB004"))
                    .hasMessageContaining("Firebreak strict mode: pipeline heartbeat stale since")
                    .hasMessageContaining("capture")
                    .hasMessageContaining("destructive statements refused");
            String messages = decoded("strict_it_" + guarded);
            assertThat(messages).contains("\"guard_rule\": \"firebreak-strict\"").contains("\"guard_outcome\": \"blocked\"")
                    .contains("\"session_user\": \"" + guarded + "\"").contains("DROP TABLE " + guarded + ".t1");
        } finally {
            try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
                st.execute("SELECT pg_drop_replication_slot('strict_it_" + guarded + "')");
            }
        }
    }

    @Test
    void everyRequiredComponentMustBeatAndAMissingOneCountsAsStale() throws Exception {
        policy(30_000, "capture,killswitch", List.of());
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("DELETE FROM firebreak.heartbeat WHERE component = 'killswitch'");
        }
        assertThatThrownBy(() -> run(guarded, "DROP TABLE " + guarded + ".t1"))
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("FB004"))
                .hasMessageContaining("killswitch never beat");
        beat("killswitch", Instant.now());
        run(guarded, "DROP TABLE " + guarded + ".t1");
    }

    @Test
    void anExceptionForFirebreakStrictIsRespected() throws Exception {
        policy(30_000, "capture", List.of(new GuardException("firebreak-strict", "pg:it/" + guarded, null, null, null,
                Instant.now().plus(1, ChronoUnit.HOURS), "maintenance while ingest is upgraded")));
        beat("capture", Instant.now().minus(1, ChronoUnit.HOURS));
        run(guarded, "DROP TABLE " + guarded + ".t1");
        assertThat(exists(guarded + ".t1")).isFalse();
    }

    @Test
    void noRoleButFirebreaksOwnCanBeat() throws Exception {
        policy(30_000, "capture", List.of());
        beat("capture", Instant.now().minus(1, ChronoUnit.HOURS));
        for (String sql : List.of("SELECT firebreak.beat('capture', 'alive, honest')",
                "SELECT firebreak.beat('killswitch', 'alive')",
                "INSERT INTO firebreak.heartbeat VALUES ('capture', now(), 'x') ON CONFLICT (component) DO UPDATE SET beat_at = now()",
                "UPDATE firebreak.heartbeat SET beat_at = now()",
                "SELECT firebreak.strict_stale_since()")) {
            assertThatThrownBy(() -> run(guarded, sql)).as(sql)
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
        }
        refused(() -> run(guarded, "DROP TABLE " + guarded + ".t1"));
        // the kill switch's role may beat for itself only, never for capture
        String killswitch = "ks_" + guarded;
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE ROLE " + killswitch + " LOGIN PASSWORD 'pw'");
            st.execute("GRANT USAGE ON SCHEMA firebreak TO " + killswitch);
            st.execute("GRANT EXECUTE ON FUNCTION firebreak.beat(text, text) TO " + killswitch);
        }
        run(killswitch, "SELECT firebreak.beat('killswitch', 'consuming')");
        assertThatThrownBy(() -> run(killswitch, "SELECT firebreak.beat('capture', 'forged')"))
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
        assertThatThrownBy(() -> run(killswitch, "SELECT firebreak.beat('anything', 'forged')"))
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("22023"));
        refused(() -> run(guarded, "DROP TABLE " + guarded + ".t1"));
    }

    private static void refused(ThrowingCallable statement) {
        assertThatThrownBy(statement)
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("FB004"))
                .hasMessageContaining("Firebreak strict mode");
    }

    private static void policy(long staleAfterMs, String components, List<GuardException> exceptions) throws SQLException {
        GuardConfig config = GuardConfig.fromMap(Map.of(GuardConfig.SCOPE, "members_of:" + GUARD_GROUP,
                GuardConfig.STRICT_STALE_AFTER_MS, Long.toString(staleAfterMs),
                GuardConfig.STRICT_COMPONENTS, components));
        try (Connection admin = pg.superuserConnection()) {
            new GuardPolicyInstaller(config, "it").apply(admin, new GuardPolicy(List.of(), exceptions));
        }
    }

    // As the installer, then aged by hand: the database's own clock decides staleness.
    private static void beat(String component, Instant at) throws SQLException {
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("SELECT firebreak.beat('" + component + "', 'test')");
            st.execute("UPDATE firebreak.heartbeat SET beat_at = '" + at + "' WHERE component = '" + component + "'");
        }
    }

    private static void ownTables(String role) throws SQLException {
        try (Connection c = pg.connect(role, "pw"); Statement st = c.createStatement()) {
            for (String t : List.of("t1", "t2", "t3")) {
                st.execute("CREATE TABLE " + role + "." + t + " (id int PRIMARY KEY, v int)");
            }
            st.execute("INSERT INTO " + role + ".t2 SELECT g, 0 FROM generate_series(1, 1000) g");
        }
    }

    private static void run(String role, String sql) throws SQLException {
        try (Connection c = pg.connect(role, "pw"); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static boolean exists(String table) throws SQLException {
        return query("SELECT to_regclass('" + table + "') IS NOT NULL").equals("t");
    }

    private static long rows(String table) throws SQLException {
        return Long.parseLong(query("SELECT count(*) FROM " + table));
    }

    private static String decoded(String slot) throws SQLException {
        return query("SELECT coalesce(string_agg(data, E'\\n'), '') FROM pg_logical_slot_get_changes('" + slot + "', NULL, NULL)");
    }

    private static String query(String sql) throws SQLException {
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
