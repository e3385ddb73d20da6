package dev.firebreak.detect;

import dev.firebreak.rules.AuditEvents;
import static dev.firebreak.rules.AuditEvents.CAPTURE_DELAY_US;
import static dev.firebreak.rules.AuditEvents.at;
import static dev.firebreak.rules.AuditEvents.dropTables;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.PrincipalLink;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.InMemorySchemaRegistry;
import dev.firebreak.schema.registry.RegistryOutage;
import dev.firebreak.schema.registry.SchemaRegistryClient;
import dev.firebreak.schema.registry.SchemaRegistryException;
import dev.firebreak.schema.serde.RegistryAvroSerde;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Detection and a schema registry outage: the record waits for the registry, it is never dead-lettered for it. */
class RegistryOutageTopologyTest {
    private static final String ALICE = "pg:prod/alice";

    /** The in-memory registry, switchable to "connection refused". */
    static final class Flaky implements SchemaRegistryClient {
        final InMemorySchemaRegistry real = InMemorySchemaRegistry.scope("outage-" + UUID.randomUUID());
        volatile boolean down;

        @Override
        public int register(String subject, Schema schema) {
            check();
            return real.register(subject, schema);
        }

        @Override
        public Schema schemaById(int id) {
            check();
            return real.schemaById(id);
        }

        private void check() {
            if (down) {
                throw new SchemaRegistryException("schema registry unreachable: connection refused",
                        SchemaRegistryException.NO_ANSWER, null);
            }
        }
    }

    @TempDir
    Path stateDir;
    final Flaky registry = new Flaky();
    final RegistryOutage outage = new RegistryOutage("detection");
    TopologyTestDriver driver;
    TestInputTopic<String, byte[]> audit;
    TestOutputTopic<String, Alert> alerts;
    TestOutputTopic<String, DeadLetter> deadLetters;
    RegistryAvroSerializer<AuditEvent> writer;

    @BeforeEach
    void start() {
        // the topology's serdes ask the flaky registry and cache nothing in between
        DetectionSerdes serdes = new DetectionSerdes(new RegistryAvroSerde<>(AuditEvent.class, registry),
                new RegistryAvroSerde<>(Alert.class, registry), new RegistryAvroSerde<>(RevokeCommand.class, registry),
                new RegistryAvroSerde<>(DeadLetter.class, registry), new RegistryAvroSerde<>(PrincipalLink.class, registry),
                new RegistryAvroSerde<>(dev.firebreak.schema.RevocationResult.class, registry));
        DetectionMetrics metrics = new DetectionMetrics() {
            @Override
            public RegistryOutage registryOutage() {
                return outage;
            }
        };
        DetectionConfig config = DetectionConfig.fromMap(Map.of(
                DetectionConfig.BOOTSTRAP_SERVERS, "unused:9092",
                DetectionConfig.SCHEMA_REGISTRY_URL, "mem://unused",
                DetectionConfig.STATE_DIR, stateDir.toString()));
        driver = new TopologyTestDriver(DetectionTopology.build(List.of(DetectionRule.defaults()), serdes, null, metrics, TestSigning.KEY),
                config.toStreamsProperties());
        audit = driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(), new ByteArraySerializer());
        alerts = driver.createOutputTopic(Topics.ALERTS, new StringDeserializer(),
                new RegistryAvroSerde<>(Alert.class, registry.real).deserializer());
        deadLetters = driver.createOutputTopic(Topics.AUDIT_DLQ, new StringDeserializer(),
                new RegistryAvroSerde<>(DeadLetter.class, registry.real).deserializer());
        // the producer (ingest) registered its schema while the registry was up
        writer = new RegistryAvroSerializer<>(AuditEvent.class, registry.real, false);
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void eventsReadDuringAnOutageWaitForTheRegistryAndAreDetectedNotDeadLettered() throws Exception {
        registry.down = true;
        Thread comesBack = new Thread(() -> {
            try {
                Thread.sleep(700);
            } catch (InterruptedException e) {
                return;
            }
            registry.down = false;
        });
        comesBack.start();
        for (int i = 0; i < 3; i++) {
            send(dropTables(ALICE, "e" + i, at(0.1 + i * 0.1), "t" + i)); // the first one waits ~0.7 s
        }
        comesBack.join();

        assertThat(outage.retries()).isPositive();
        assertThat(outage.unavailable()).isFalse();
        assertThat(deadLetters.isEmpty()).isTrue();
        assertThat(alerts.readValuesToList()).singleElement()
                .satisfies(a -> assertThat(a.getTriggerEventId()).isEqualTo("e2"));
    }

    @Test
    void anAlertWhoseSchemaIsNotRegisteredYetWaitsForTheRegistry() throws Exception {
        send(dropTables(ALICE, "e0", at(0.1), "t0"));
        send(dropTables(ALICE, "e1", at(0.2), "t1")); // the audit event's schema is cached from here on
        registry.down = true;
        Thread comesBack = new Thread(() -> {
            try {
                Thread.sleep(700);
            } catch (InterruptedException e) {
                return;
            }
            registry.down = false;
        });
        comesBack.start();
        send(dropTables(ALICE, "e2", at(0.3), "t2")); // read from cache; its alert's schema is registered on first use
        comesBack.join();

        assertThat(outage.retries()).isPositive();
        assertThat(alerts.readValuesToList()).singleElement()
                .satisfies(a -> assertThat(a.getTriggerEventId()).isEqualTo("e2"));
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void aThreadThatGivesUpOnTheRegistryFailsInsteadOfDeadLetteringTheRecord() {
        registry.down = true;
        outage.stop(); // as when the service closes (or after REGISTRY_MAX_BLOCK): no more waiting
        assertThatThrownBy(() -> send(dropTables(ALICE, "e0", at(0.1), "t0")))
                .satisfies(e -> assertThat(SchemaRegistryException.isRegistryUnavailable(e)).isTrue());
        registry.down = false;
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void badDataStillGoesToTheDeadLetterQueue() {
        byte[] unknownId = {0, 0, 0, 0, 99, 2, 4, 6};
        audit.pipeInput(ALICE, unknownId, Instant.ofEpochMilli(at(0.05) / 1000));
        assertThat(deadLetters.readValue().getReason()).contains("schema id 99").contains("not found");
        assertThat(outage.retries()).isZero();
    }

    @Test
    void theHandlerFailsTheThreadOnAnOutageOnly() {
        var handler = new RegistryOutageHandler();
        var record = new ConsumerRecord<>(Topics.AUDIT_EVENTS, 0, 5L, new byte[0], new byte[0]);
        ErrorHandlerContext context = new ErrorHandlerContext() {
            @Override public String topic() { return record.topic(); }
            @Override public int partition() { return record.partition(); }
            @Override public long offset() { return record.offset(); }
            @Override public Headers headers() { return record.headers(); }
            @Override public String processorNodeId() { return "source"; }
            @Override public TaskId taskId() { return new TaskId(0, 0); }
            @Override public long timestamp() { return record.timestamp(); }
            @Override public byte[] sourceRawKey() { return record.key(); }
            @Override public byte[] sourceRawValue() { return record.value(); }
        };
        assertThat(handler.handleError(context, record, new SchemaRegistryException("down", 503, null)).result())
                .isEqualTo(DeserializationExceptionHandler.Result.FAIL);
        assertThat(handler.handleError(context, record, new SerializationException("not Avro")).result())
                .isEqualTo(DeserializationExceptionHandler.Result.RESUME);
    }

    private void send(AuditEvent event) {
        audit.pipeInput(event.getPrincipal(), writer.serialize(Topics.AUDIT_EVENTS, event),
                Instant.ofEpochMilli((event.getEventTimeUs() + CAPTURE_DELAY_US) / 1000));
    }
}
