package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.guard.GuardPolicy;
import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.guard.GuardConfig;
import dev.firebreak.ingest.guard.GuardPolicyInstaller;
import dev.firebreak.ingest.postgres.TriggerInstaller;
import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.killswitch.KillSwitchService;
import dev.firebreak.killswitch.postgres.KillSwitchRoleInstaller;
import dev.firebreak.schema.Topics;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Strict mode requiring the kill switch's heartbeat, on a real PostgreSQL 17 and KRaft Kafka: the
 * running kill switch beats through its least-privileged role; stopped, its beat goes stale and a
 * guarded DROP is refused (FB004); started again, the DROP goes through. Capture's beat is written
 * fresh by hand before every try, so only the kill switch's can be stale here (capture's own is
 * covered by ingest's StrictModeCaptureIT).
 */
@Timeout(240)
class StrictModeKillSwitchIT {
    private static final String GROUP = "strict_ks_guarded";
    private static final String ROLE = "strict_ks_agent";
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static EmbeddedPostgres17 pg;
    private static EmbeddedKafka kafka;
    private static KillSwitchConfig config;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres17.start(Map.of());
        kafka = EmbeddedKafka.start(1);
        kafka.createTopics(List.of(Topics.KILLSWITCH_COMMANDS, Topics.KILLSWITCH_RESULTS, Topics.ALERTS), Map.of());
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            new TriggerInstaller(IngestConfig.DEFAULT_MESSAGE_PREFIX, "firebreak_audit", 2048).install(admin);
            st.execute("CREATE ROLE " + GROUP + " NOLOGIN");
            st.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD 'pw' IN ROLE " + GROUP);
            st.execute("CREATE SCHEMA " + ROLE + " AUTHORIZATION " + ROLE);
            KillSwitchRoleInstaller.install(admin, "firebreak_ks", "ks-secret", List.of(), List.of());
            GuardConfig guard = GuardConfig.fromMap(Map.of(GuardConfig.SCOPE, "members_of:" + GROUP,
                    GuardConfig.STRICT_STALE_AFTER_MS, "4000", GuardConfig.STRICT_COMPONENTS, "capture,killswitch"));
            new GuardPolicyInstaller(guard, "it").apply(admin, GuardPolicy.NONE);
        }
        Map<String, String> settings = new HashMap<>();
        settings.put(KillSwitchConfig.CLUSTER, "it");
        settings.put(KillSwitchConfig.PG_URL, pg.jdbcUrl());
        settings.put(KillSwitchConfig.PG_USER, "firebreak_ks");
        settings.put(KillSwitchConfig.PG_PASSWORD, "ks-secret");
        settings.put(KillSwitchConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        settings.put(KillSwitchConfig.SCHEMA_REGISTRY_URL, "mem://strict-ks-it");
        settings.put(KillSwitchConfig.GROUP_ID, "strict-ks-it");
        settings.put(KillSwitchConfig.COMMAND_VERIFICATION_SECRET, "strict-ks-it-command-secret-0123456789");
        settings.put(KillSwitchConfig.RESULT_SIGNING_SECRET, "strict-ks-it-result-secret-0123456789");
        config = KillSwitchConfig.fromMap(settings);
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void aStoppedKillSwitchStopsGuardedDropsUntilItBeatsAgain() throws Exception {
        try (KillSwitchService service = KillSwitchService.start(config, new SimpleMeterRegistry())) {
            awaitKillSwitchBeat();
            assertThat(awaitOutcome(null)).as("kill switch beating: allowed").isNull();
        }
        assertThat(awaitOutcome("FB004")).as("kill switch stopped: refused").isEqualTo("FB004");
        assertThat(superuser("SELECT to_regclass('" + ROLE + ".t') IS NOT NULL")).isEqualTo("t");
        try (KillSwitchService service = KillSwitchService.start(config, new SimpleMeterRegistry())) {
            assertThat(awaitOutcome(null)).as("beating again: allowed").isNull();
        }
    }

    private static void awaitKillSwitchBeat() throws Exception {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            if ("t".equals(superuser("SELECT EXISTS (SELECT 1 FROM firebreak.heartbeat WHERE component = 'killswitch' "
                    + "AND detail = 'consuming commands' AND beat_at > clock_timestamp() - interval '3 seconds')"))) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the kill switch never beat");
    }

    /** Creates the table and tries to drop it until that ends as {@code sqlState} (null: success). */
    private static String awaitOutcome(String sqlState) throws Exception {
        long deadline = System.nanoTime() + BOUND.toNanos();
        String outcome;
        do {
            superuser("SELECT firebreak.beat('capture', 'by hand: only the kill switch is under test')::text");
            try (Connection c = pg.connect(ROLE, "pw"); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS " + ROLE + ".t (id int)");
                st.execute("DROP TABLE " + ROLE + ".t");
                outcome = null;
            } catch (SQLException e) {
                outcome = e.getSQLState();
            }
            if (Objects.equals(outcome, sqlState)) {
                return outcome;
            }
            Thread.sleep(250);
        } while (System.nanoTime() < deadline);
        return outcome;
    }

    private static String superuser(String sql) throws SQLException {
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
