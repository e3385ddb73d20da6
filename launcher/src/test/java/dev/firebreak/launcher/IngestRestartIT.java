package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ingest service, as its own process, is killed with SIGKILL in the middle of a stream of DDL
 * and restarted: every statement still arrives, and a replayed one carries the same event id.
 */
class IngestRestartIT {
    private static final int STATEMENTS = 240;
    private static LocalStack stack;
    private static Path config;

    @BeforeAll
    static void start() throws Exception {
        stack = LocalStack.start(1, m -> { });
        Properties props = new Properties();
        props.putAll(PipelineSettings.stackMap(stack, "restart", List.of()));
        props.put("firebreak.ingest.pglog.enabled", "false");
        config = Files.createTempFile("firebreak-ingest", ".properties");
        try (Writer out = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
            props.store(out, "ingest restart test");
        }
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void killedIngestLosesNoEventAndReplaysAreRecognisable() throws Exception {
        ServiceProcess ingest = ServiceProcess.start("ingest", config);
        Set<String> expected = new HashSet<>();
        try (Connection c = stack.postgres().superuserConnection(); Statement st = c.createStatement()) {
            for (int i = 0; i < STATEMENTS; i++) {
                String sql = "CREATE TABLE restart_" + i + " (id int)";
                st.execute(sql);
                expected.add(sql);
                if (i == STATEMENTS / 3) {
                    ingest.kill(); // SIGKILL mid-stream
                }
                if (i == STATEMENTS / 2) {
                    ingest = ServiceProcess.start("ingest", config);
                }
                Thread.sleep(2);
            }
        }
        try {
            Map<String, Set<String>> idsByStatement = consumeUntil(expected, Duration.ofSeconds(60));
            assertThat(idsByStatement.keySet()).containsAll(expected);
            // a statement delivered twice (replayed after the kill) has one and the same event id
            idsByStatement.forEach((sql, ids) -> assertThat(ids).as(sql).hasSize(1));
            assertThat(ingest.probe("/health/live")).as("the running service's liveness probe").isEqualTo(200);
            assertThat(ingest.probe("/health/ready")).as("the running service's readiness probe").isEqualTo(200);
            assertThat(ingest.scrapeMetrics()).as("the service's /metrics").contains(
                    "firebreak_ingest_events_total{action=\"CREATE TABLE\",destructive=\"false\",source=\"postgres\"}",
                    "firebreak_ingest_heartbeat_timestamp_seconds{source=\"postgres\"}",
                    "debezium_streaming_connected{", "kafka_producer_record_send_total{", "jvm_memory_used_bytes{");
        } finally {
            ingest.close();
        }
    }

    private static Map<String, Set<String>> consumeUntil(Set<String> expected, Duration timeout) {
        Properties props = new Properties();
        props.putAll(stack.adminClientProperties());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "restart-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<String, Set<String>> ids = new HashMap<>();
        try (KafkaConsumer<String, AuditEvent> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new RegistryAvroDeserializer<>(AuditEvent.class, SchemaRegistries.forUrl(stack.registryUrl())))) {
            consumer.subscribe(List.of(Topics.AUDIT_EVENTS));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!ids.keySet().containsAll(expected) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    AuditEvent e = r.value();
                    if (e.getStatement() != null && expected.contains(e.getStatement())) {
                        ids.computeIfAbsent(e.getStatement(), k -> new HashSet<>()).add(e.getEventId());
                    }
                });
            }
        }
        return ids;
    }
}
