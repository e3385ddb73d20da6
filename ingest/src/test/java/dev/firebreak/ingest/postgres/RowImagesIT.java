package dev.firebreak.ingest.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.RowChange;
import dev.firebreak.schema.RowOperation;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Row images of chosen tables reach their own topic with full before images, linked to the burst by txid. */
class RowImagesIT {
    private static final String REGISTRY = "mem://row-images-it";
    private static EmbeddedPostgres17 pg;
    private static EmbeddedKafka kafka;
    private static PostgresCapture capture;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres17.start(Map.of());
        kafka = EmbeddedKafka.start(1);
        kafka.createTopics(Topics.PIPELINE_TOPICS, Map.of());
        try (Connection c = pg.superuserConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA shop");
            st.execute("CREATE TABLE shop.orders (id int PRIMARY KEY, customer text, total numeric(10,2), note text)");
            st.execute("INSERT INTO shop.orders SELECT g, 'c' || g, g * 1.5, CASE WHEN g % 2 = 0 THEN NULL ELSE 'n' END "
                    + "FROM generate_series(1, 50) g");
        }
        Map<String, String> settings = new HashMap<>(Map.of(
                "firebreak.ingest.cluster", "it",
                "firebreak.ingest.pg.host", pg.host(),
                "firebreak.ingest.pg.port", Integer.toString(pg.port()),
                "firebreak.ingest.pg.password", EmbeddedPostgres17.SUPERUSER_PASSWORD,
                "firebreak.ingest.bootstrap.servers", kafka.bootstrapServers(),
                "firebreak.ingest.schema.registry.url", REGISTRY,
                "firebreak.ingest.offsets.replication.factor", "1",
                "firebreak.ingest.cdc.tables", "shop.orders"));
        capture = new PostgresCapture(IngestConfig.fromMap(settings), new SimpleMeterRegistry());
        capture.start(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        if (capture != null) {
            capture.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void deletedAndUpdatedRowsKeepTheirWholeBeforeImage() throws Exception {
        try (Connection c = pg.superuserConnection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT relreplident FROM pg_class WHERE oid = 'shop.orders'::regclass")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("f");
            }
            c.setAutoCommit(false);
            st.execute("DELETE FROM shop.orders WHERE id <= 20");
            st.execute("UPDATE shop.orders SET total = 0 WHERE id = 21");
            c.commit();
        }
        String topic = Topics.rowImages("it", "shop", "orders");
        List<RowChange> changes = poll(RowChange.class, topic, 21, r -> true);
        List<RowChange> deletes = changes.stream().filter(r -> r.getOperation() == RowOperation.DELETE).toList();
        assertThat(deletes).hasSize(20);
        RowChange order7 = deletes.stream().filter(r -> "7".equals(r.getBefore().get("id"))).findFirst().orElseThrow();
        assertThat(order7.getBefore()).containsEntry("customer", "c7").containsEntry("total", "10.50")
                .containsEntry("note", "n");
        assertThat(order7.getAfter()).isNull();
        assertThat(deletes.stream().filter(r -> "8".equals(r.getBefore().get("id"))).findFirst().orElseThrow()
                .getBefore()).containsEntry("note", null);
        RowChange update = changes.stream().filter(r -> r.getOperation() == RowOperation.UPDATE).findFirst().orElseThrow();
        assertThat(update.getBefore()).containsEntry("total", "31.50");
        assertThat(update.getAfter()).containsEntry("total", "0.00");

        // the statement-level event of the same DELETE names the same transaction: that is how a
        // restore finds every row of a burst, from the alert's first event on
        AuditEvent statement = poll(AuditEvent.class, Topics.AUDIT_EVENTS, 1,
                e -> "DELETE".equals(e.getAction()) && e.getStatement() != null && e.getStatement().contains("id <= 20"))
                .get(0);
        assertThat(statement.getRowCount()).isEqualTo(20L);
        assertThat(deletes).allMatch(r -> statement.getTxid().equals(r.getTxid()));
        assertThat(changes).extracting(RowChange::getEventId).doesNotHaveDuplicates();
    }

    @Test
    void aRowImageTableThatDoesNotExistFailsStartUpNamingTheKey() {
        Map<String, String> settings = Map.of(
                "firebreak.ingest.cluster", "it2",
                "firebreak.ingest.pg.host", pg.host(),
                "firebreak.ingest.pg.port", Integer.toString(pg.port()),
                "firebreak.ingest.pg.password", EmbeddedPostgres17.SUPERUSER_PASSWORD,
                "firebreak.ingest.bootstrap.servers", kafka.bootstrapServers(),
                "firebreak.ingest.schema.registry.url", REGISTRY,
                "firebreak.ingest.offsets.replication.factor", "1",
                "firebreak.ingest.install.triggers", "false",
                "firebreak.ingest.cdc.tables", "shop.missing");
        try (PostgresCapture other = new PostgresCapture(IngestConfig.fromMap(settings), new SimpleMeterRegistry())) {
            assertThatThrownBy(() -> other.start(Duration.ofSeconds(10)))
                    .hasMessageContaining("firebreak.ingest.cdc.tables").hasMessageContaining("shop.missing");
        }
        assertThatThrownBy(() -> IngestConfig.fromMap(Map.of("firebreak.ingest.cdc.tables", "Shop.Orders")))
                .hasMessageContaining("firebreak.ingest.cdc.tables").hasMessageContaining("allowed");
    }

    private static <T extends SpecificRecord> List<T> poll(Class<T> type, String topic, int count, Predicate<T> match) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<T> found = new ArrayList<>();
        try (KafkaConsumer<String, T> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new RegistryAvroDeserializer<>(type, SchemaRegistries.forUrl(REGISTRY)))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (found.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(100)).forEach(r -> {
                    if (match.test(r.value())) {
                        found.add(r.value());
                    }
                });
            }
        }
        assertThat(found).as("records on " + topic).hasSizeGreaterThanOrEqualTo(count);
        return found;
    }
}
