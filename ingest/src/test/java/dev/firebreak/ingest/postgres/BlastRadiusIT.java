package dev.firebreak.ingest.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.guard.GuardPolicy;
import dev.firebreak.guard.GuardRule;
import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.TopicReader;
import dev.firebreak.ingest.agent.AgentActionConfig;
import dev.firebreak.ingest.guard.GuardConfig;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Topics;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Blast radius (V6) measured by a real PostgreSQL 17 at the moment of destruction and carried to
 * Kafka as event attributes: rows and bytes of dropped and truncated tables, the fraction and shape
 * of a DELETE, who created what was destroyed, rename swaps, partitions, the environment, and a
 * guard that spares the principal's own scratch tables but not anyone else's.
 */
class BlastRadiusIT {
    private static final String REGISTRY = "mem://blast-radius-it";
    private static final String GROUP = "blast_guarded";
    private static EmbeddedPostgres17 pg;
    private static EmbeddedKafka kafka;
    private static PostgresCapture capture;

    @BeforeAll
    static void start() throws SQLException {
        pg = EmbeddedPostgres17.start(Map.of("shared_preload_libraries", ""));
        kafka = EmbeddedKafka.start(1);
        kafka.createTopics(Topics.PIPELINE_TOPICS, Map.of());
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE ROLE " + GROUP + " NOLOGIN");
        }
        GuardConfig guard = GuardConfig.fromMap(Map.of(GuardConfig.SCOPE, "members_of:" + GROUP,
                GuardConfig.ENVIRONMENT, "staging"));
        GuardPolicy policy = new GuardPolicy(List.of(new GuardRule("it-drop-rate", "more than two relations a second",
                GuardRule.Kind.DROP_RATE, GuardRule.Mode.ENFORCE, 2, 0, null, Duration.ofSeconds(1), List.of(),
                List.of("created_by_same_principal", "replaced", "partition"))), List.of());
        capture = new PostgresCapture(IngestConfig.of("it", pg.host(), pg.port(), EmbeddedPostgres17.DATABASE,
                EmbeddedPostgres17.SUPERUSER, EmbeddedPostgres17.SUPERUSER_PASSWORD, kafka.bootstrapServers(), REGISTRY, 1),
                AgentActionConfig.disabled(), null, guard, policy, new SimpleMeterRegistry());
        capture.start(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {capture, kafka, pg}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the rest
            }
        }
    }

    @Test
    void dropOfSomeoneElsesTableCarriesRowsBytesAndAge() throws Exception {
        String role = TestRoles.newRoleWithTable(pg, "blast_drop", 300);
        try (KafkaConsumer<String, AuditEvent> consumer = subscribe(); Connection c = pg.connect(role, "pw");
             Statement st = c.createStatement()) {
            st.execute("DROP TABLE " + role + ".t");
            AuditEvent drop = pollUntil(consumer, e -> is(e, role, "DROP TABLE"));
            Map<String, String> a = drop.getAttributes();
            assertThat(a).containsEntry("blast_rows", "300").containsEntry("blast_relations", "1")
                    .containsEntry("blast_replaced", "false").containsEntry("blast_partition", "false")
                    .containsEntry("blast_fraction", "1.0000").containsEntry("target_environment", "staging")
                    .doesNotContainKey("blast_created").doesNotContainKey("blast_bytes_partial");
            assertThat(Long.parseLong(a.get("blast_bytes"))).as("heap, index and toast of 300 rows").isGreaterThan(8192);
            assertThat(Long.parseLong(a.get("blast_age_s"))).as("created by the admin after the install").isBetween(0L, 120L);
        }
    }

    @Test
    void dbtStyleRenameSwapMarksTheBackupReplacedAndTheSessionAsItsCreator() throws Exception {
        String role = TestRoles.newRoleWithTable(pg, "blast_dbt", 0);
        try (KafkaConsumer<String, AuditEvent> consumer = subscribe(); Connection c = pg.connect(role, "pw");
             Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + role + ".model AS SELECT g FROM generate_series(1, 40) g");
            st.execute("CREATE TABLE " + role + ".model__dbt_tmp AS SELECT g FROM generate_series(1, 50) g");
            st.execute("ALTER TABLE " + role + ".model RENAME TO model__dbt_backup");
            st.execute("ALTER TABLE " + role + ".model__dbt_tmp RENAME TO model");
            st.execute("DROP TABLE " + role + ".model__dbt_backup");
            AuditEvent drop = pollUntil(consumer, e -> is(e, role, "DROP TABLE"));
            assertThat(drop.getAttributes()).containsEntry("blast_replaced", "true").containsEntry("blast_created", "session")
                    .containsEntry("blast_rows", "40");
            // a plain drop of a table that was never swapped out is not "replaced"
            st.execute("DROP TABLE " + role + ".model");
            AuditEvent plain = pollUntil(consumer, e -> is(e, role, "DROP TABLE"));
            assertThat(plain.getAttributes()).containsEntry("blast_replaced", "false").containsEntry("blast_rows", "50");
        }
    }

    @Test
    void partitionDroppedFromATableThatLivesOnIsMarkedWithItsShare() throws Exception {
        String role = TestRoles.newRoleWithTable(pg, "blast_part", 0);
        try (KafkaConsumer<String, AuditEvent> consumer = subscribe(); Connection c = pg.connect(role, "pw");
             Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + role + ".ev (d date, v text) PARTITION BY RANGE (d)");
            for (int day = 1; day <= 4; day++) {
                st.execute(String.format("CREATE TABLE %1$s.ev_%2$d PARTITION OF %1$s.ev FOR VALUES FROM ('2025-01-%2$02d') TO ('2025-01-%3$02d')",
                        role, day, day + 1));
            }
            st.execute("INSERT INTO " + role + ".ev SELECT DATE '2025-01-01' + (g % 4), 'x' FROM generate_series(1, 400) g");
            st.execute("ALTER TABLE " + role + ".ev DETACH PARTITION " + role + ".ev_1");
            st.execute("DROP TABLE " + role + ".ev_1");
            AuditEvent detached = pollUntil(consumer, e -> is(e, role, "DROP TABLE"));
            assertThat(detached.getAttributes()).containsEntry("blast_partition", "true").containsEntry("blast_rows", "100")
                    .containsEntry("blast_fraction", "0.2500");
            st.execute("DROP TABLE " + role + ".ev_2");
            AuditEvent attached = pollUntil(consumer, e -> is(e, role, "DROP TABLE"));
            assertThat(attached.getAttributes()).containsEntry("blast_partition", "true").containsEntry("blast_fraction", "0.3333");
            st.execute("DROP TABLE " + role + ".ev");
            AuditEvent whole = pollUntil(consumer, e -> is(e, role, "DROP TABLE"));
            assertThat(whole.getAttributes()).containsEntry("blast_partition", "false").containsEntry("blast_rows", "200");
        }
    }

    @Test
    void truncateAndWholeTableDeleteCarryWhatTheyDestroyed() throws Exception {
        String role = TestRoles.newRoleWithTable(pg, "blast_rows", 400);
        try (KafkaConsumer<String, AuditEvent> consumer = subscribe(); Connection c = pg.connect(role, "pw");
             Statement st = c.createStatement()) {
            st.execute("DELETE FROM " + role + ".t WHERE id <= 200");
            AuditEvent filtered = pollUntil(consumer, e -> is(e, role, "DELETE"));
            assertThat(filtered.getAttributes()).containsEntry("statement_shape", "filtered").containsEntry("blast_rows", "200")
                    .containsEntry("blast_table_rows", "400").containsEntry("blast_fraction", "0.5000");
            st.execute("DELETE FROM " + role + ".t WHERE 1 = 1");
            AuditEvent tautology = pollUntil(consumer, e -> is(e, role, "DELETE"));
            assertThat(tautology.getAttributes()).containsEntry("statement_shape", "tautology").containsEntry("blast_fraction", "1.0000");
            st.execute("INSERT INTO " + role + ".t SELECT g, 'v' FROM generate_series(1, 150) g");
            st.execute("DELETE FROM " + role + ".t");
            AuditEvent noWhere = pollUntil(consumer, e -> is(e, role, "DELETE"));
            assertThat(noWhere.getAttributes()).containsEntry("statement_shape", "no_where").containsEntry("blast_rows", "150");
            st.execute("INSERT INTO " + role + ".t SELECT g, 'v' FROM generate_series(1, 70) g");
            st.execute("TRUNCATE " + role + ".t");
            AuditEvent truncate = pollUntil(consumer, e -> is(e, role, "TRUNCATE"));
            assertThat(truncate.getAttributes()).containsEntry("blast_rows", "70");
            assertThat(Long.parseLong(truncate.getAttributes().get("blast_bytes"))).isPositive();
        }
    }

    @Test
    void guardSparesTheRolesOwnScratchTablesButNotOthers() throws Exception {
        String role = TestRoles.newRoleWithTable(pg, "blast_guard", 5);
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("GRANT " + GROUP + " TO " + role);
            for (int i = 1; i <= 3; i++) {
                st.execute(String.format("CREATE TABLE %1$s.old%2$d (id int); ALTER TABLE %1$s.old%2$d OWNER TO %1$s", role, i));
            }
        }
        try (KafkaConsumer<String, AuditEvent> consumer = subscribe(); Connection c = pg.connect(role, "pw");
             Statement st = c.createStatement()) {
            for (int i = 1; i <= 6; i++) {
                st.execute("CREATE TABLE " + role + ".fixture" + i + " (id int)");
            }
            for (int i = 1; i <= 6; i++) {
                st.execute("DROP TABLE " + role + ".fixture" + i);
            }
            st.execute("DROP TABLE " + role + ".old1");
            st.execute("DROP TABLE " + role + ".old2");
            assertThatThrownBy(() -> st.execute("DROP TABLE " + role + ".old3"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("refused by rule it-drop-rate");
            AuditEvent refused = pollUntil(consumer, e -> is(e, role, "DROP TABLE") && e.getAttributes().containsKey("guard_rule"));
            assertThat(refused.getAttributes()).containsEntry("guard_outcome", "blocked").doesNotContainKey("blast_created");
        }
    }

    private static boolean is(AuditEvent e, String role, String action) {
        return e.getPrincipal().equals(AuditMessageNormalizer.principalOf("it", role)) && e.getAction().equals(action);
    }

    private static KafkaConsumer<String, AuditEvent> subscribe() {
        return TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
    }

    private static AuditEvent pollUntil(KafkaConsumer<String, AuditEvent> consumer, Predicate<AuditEvent> match) {
        return TopicReader.pollUntil(consumer, 1, match).get(0);
    }
}
