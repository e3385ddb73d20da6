package dev.firebreak.ingest.pglog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** DROP DATABASE and role commands, which fire no event trigger, arrive through the server log. */
class ServerLogCaptureIT {
    private static final String REGISTRY = "mem://pglog-it";
    private static EmbeddedPostgres17 pg;
    private static EmbeddedKafka kafka;
    private static Path positionFile;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres17.start(Map.of());
        kafka = EmbeddedKafka.start(1);
        kafka.createTopics(Topics.PIPELINE_TOPICS, Map.of());
        positionFile = Files.createTempFile("pglog", ".position");
        Files.delete(positionFile);
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
    void globalCommandsArriveOnceAndARestartResumesWhereItStopped() throws Exception {
        try (KafkaConsumer<String, AuditEvent> consumer = consumer()) {
            try (ServerLogCapture capture = capture()) {
                run("CREATE DATABASE scratch", "CREATE ROLE mallory LOGIN", "CREATE TABLE only_triggers_see_this (id int)",
                        "DROP DATABASE scratch");
                List<AuditEvent> events = poll(consumer, 3);
                assertThat(events).extracting(AuditEvent::getAction)
                        .containsExactly("CREATE DATABASE", "CREATE ROLE", "DROP DATABASE");
                assertThat(events.get(2).getPrincipal()).isEqualTo("pg:it/postgres");
                assertThat(events.get(2).getDestructive()).isTrue();
            }
            // while capture is down
            run("DROP ROLE mallory");
            try (ServerLogCapture capture = capture()) {
                List<AuditEvent> events = poll(consumer, 1);
                assertThat(events).extracting(AuditEvent::getAction).containsExactly("DROP ROLE");
            }
        }
    }

    private static ServerLogCapture capture() {
        return new ServerLogCapture(new ServerLogConfig("it", pg.dataDirectory(), Duration.ofMillis(5), 2048,
                positionFile, kafka.bootstrapServers(), REGISTRY), new SimpleMeterRegistry()).start();
    }

    private static void run(String... statements) throws Exception {
        try (Connection c = pg.superuserConnection(); Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        }
    }

    private static KafkaConsumer<String, AuditEvent> consumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        KafkaConsumer<String, AuditEvent> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new RegistryAvroDeserializer<>(AuditEvent.class, SchemaRegistries.forUrl(REGISTRY)));
        consumer.subscribe(List.of(Topics.AUDIT_EVENTS));
        return consumer;
    }

    /** Exactly {@code count} more events: waits for them, then makes sure no extra one follows. */
    private static List<AuditEvent> poll(KafkaConsumer<String, AuditEvent> consumer, int count) {
        List<AuditEvent> found = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (found.size() < count && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(100)).forEach(r -> found.add(r.value()));
        }
        consumer.poll(Duration.ofMillis(500)).forEach(r -> found.add(r.value()));
        return found;
    }
}
