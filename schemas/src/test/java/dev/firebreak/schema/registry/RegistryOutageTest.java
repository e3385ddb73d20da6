package dev.firebreak.schema.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import dev.firebreak.schema.serde.RegistryRetryingDeserializer;
import dev.firebreak.stack.FakeSchemaRegistry;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Registry outage (retry, never bad data) versus bad data (dead letter), and the caches that hide an outage. */
class RegistryOutageTest {
    static final String TOPIC = "firebreak.killswitch.commands.v1";

    FakeSchemaRegistry fake;

    @BeforeEach
    void start() {
        fake = FakeSchemaRegistry.start();
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void statusesAreClassified() {
        for (int status : List.of(SchemaRegistryException.NO_ANSWER, 408, 429, 500, 502, 503, 504)) {
            assertThat(new SchemaRegistryException("x", status, null).registryUnavailable()).as("%s", status).isTrue();
        }
        for (int status : List.of(200, 400, 401, 403, 404, 409, 422)) {
            assertThat(new SchemaRegistryException("x", status, null).registryUnavailable()).as("%s", status).isFalse();
        }
        SchemaRegistryException down = new SchemaRegistryException("down", 503, null);
        // as a Kafka consumer reports it: wrapped in a RecordDeserializationException
        var wrapped = new RecordDeserializationException(RecordDeserializationException.DeserializationExceptionOrigin.VALUE,
                new TopicPartition(TOPIC, 0), 7, 0L, TimestampType.CREATE_TIME, null, null, null, "cannot read", down);
        assertThat(SchemaRegistryException.isRegistryUnavailable(wrapped)).isTrue();
        assertThat(SchemaRegistryException.isRegistryUnavailable(new SerializationException("unknown magic byte"))).isFalse();
        assertThat(SchemaRegistryException.isRegistryUnavailable(
                new SerializationException("x", new SchemaRegistryException("not found", 404, null)))).isFalse();
        assertThat(SchemaRegistryException.isRegistryUnavailable(null)).isFalse();
    }

    @Test
    void aClosedPortA503AndA404AreToldApart() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        var refused = new HttpSchemaRegistryClient("http://127.0.0.1:" + closed, Duration.ofSeconds(2));
        assertThatThrownBy(() -> refused.schemaById(1)).isInstanceOfSatisfying(SchemaRegistryException.class,
                e -> assertThat(e.registryUnavailable()).isTrue());

        var client = new HttpSchemaRegistryClient(fake.confluentUrl(), Duration.ofSeconds(2));
        assertThatThrownBy(() -> client.schemaById(42)).isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
            assertThat(e.status()).isEqualTo(404);
            assertThat(e.registryUnavailable()).isFalse();
        });
        fake.unavailable(true);
        assertThatThrownBy(() -> client.schemaById(42)).isInstanceOfSatisfying(SchemaRegistryException.class,
                e -> assertThat(e.registryUnavailable()).isTrue());
    }

    @Test
    void theDeserializerSaysOutageForAnOutageAndBadDataForBadData() {
        byte[] record = new RegistryAvroSerializer<>(RevokeCommand.class, freshClient(), false).serialize(TOPIC, command());
        var reader = new RegistryAvroDeserializer<>(RevokeCommand.class, freshClient());

        // bad data: no outage in the causes, whatever the registry's state
        byte[] badMagic = record.clone();
        badMagic[0] = 7;
        byte[] unknownId = record.clone();
        unknownId[4] = 99;
        byte[] garbage = java.util.Arrays.copyOf(record, 8);
        for (byte[] bad : List.of(badMagic, unknownId, garbage, new byte[] {0, 1})) {
            assertThatThrownBy(() -> reader.deserialize(TOPIC, bad)).isInstanceOf(SerializationException.class)
                    .satisfies(e -> assertThat(SchemaRegistryException.isRegistryUnavailable(e)).isFalse());
        }

        // the same good record while the registry is down (503, then refusing connections): an outage
        // (a reader that has not fetched the writer's schema yet; the one above has it cached)
        var cold = new RegistryAvroDeserializer<>(RevokeCommand.class, freshClient());
        fake.unavailable(true);
        assertThatThrownBy(() -> cold.deserialize(TOPIC, record))
                .satisfies(e -> assertThat(SchemaRegistryException.isRegistryUnavailable(e)).isTrue());
        fake.unavailable(false);
        fake.stop();
        assertThatThrownBy(() -> cold.deserialize(TOPIC, record))
                .satisfies(e -> assertThat(SchemaRegistryException.isRegistryUnavailable(e)).isTrue());

        // and once it is back, the record reads
        fake.restart();
        assertThat(cold.deserialize(TOPIC, record).getCommandId()).isEqualTo("cmd-1");
    }

    @Test
    void warmCachesDoNotNoticeAnOutage() {
        SchemaRegistryClient client = freshClient();
        var writer = new RegistryAvroSerializer<>(RevokeCommand.class, client, false);
        var reader = new RegistryAvroDeserializer<>(RevokeCommand.class, client);
        byte[] first = writer.serialize(TOPIC, command());
        reader.deserialize(TOPIC, first);
        int before = fake.requests();

        fake.stop();
        byte[] second = writer.serialize(TOPIC, command());
        assertThat(reader.deserialize(TOPIC, second).getCommandId()).isEqualTo("cmd-1");
        // a second deserializer on the same shared client has its writer schema cached too
        assertThat(new RegistryAvroDeserializer<>(RevokeCommand.class, client).deserialize(TOPIC, first)).isNotNull();
        assertThat(fake.requests()).isEqualTo(before);
    }

    @Test
    void theRetryingDeserializerWaitsOutAnOutageAndGivesUpOnlyAsAnOutage() throws Exception {
        byte[] record = new RegistryAvroSerializer<>(RevokeCommand.class, freshClient(), false).serialize(TOPIC, command());
        RegistryOutage outage = new RegistryOutage("test");
        var retrying = new RegistryRetryingDeserializer<>(new RegistryAvroDeserializer<>(RevokeCommand.class, freshClient()),
                outage, Duration.ofMinutes(1));

        fake.unavailable(true);
        CompletableFuture<RevokeCommand> read = CompletableFuture.supplyAsync(() -> retrying.deserialize(TOPIC, record));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> outage.retries() >= 2);
        assertThat(read).isNotDone();
        assertThat(outage.unavailable()).isTrue();
        fake.unavailable(false);
        assertThat(read.get(15, TimeUnit.SECONDS).getCommandId()).isEqualTo("cmd-1");
        assertThat(outage.unavailable()).isFalse();

        // bad data is not retried
        long retries = outage.retries();
        byte[] badMagic = record.clone();
        badMagic[0] = 1;
        assertThatThrownBy(() -> retrying.deserialize(TOPIC, badMagic)).isInstanceOf(SerializationException.class);
        assertThat(outage.retries()).isEqualTo(retries);

        // a stopping stage gives up with the outage itself, never as bad data
        var cold = new RegistryRetryingDeserializer<>(new RegistryAvroDeserializer<>(RevokeCommand.class, freshClient()),
                outage, Duration.ofMinutes(1));
        fake.stop();
        CompletableFuture<RevokeCommand> stopped = CompletableFuture.supplyAsync(() -> cold.deserialize(TOPIC, record));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> outage.retries() > retries);
        outage.stop();
        assertThatThrownBy(() -> stopped.get(10, TimeUnit.SECONDS))
                .satisfies(e -> assertThat(SchemaRegistryException.isRegistryUnavailable(e)).isTrue());
    }

    @Test
    void startUpRegistrationWaitsForTheRegistry() throws Exception {
        fake.unavailable(true);
        String url = fake.confluentUrl() + "/startup";
        RegistryOutage outage = new RegistryOutage("start-up");
        CompletableFuture<Void> registered = CompletableFuture.runAsync(
                () -> SchemaRegistries.registerPipelineSchemas(url, outage, Duration.ofMinutes(1)));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> outage.retries() >= 2);
        assertThat(registered).isNotDone();
        fake.unavailable(false);
        registered.get(15, TimeUnit.SECONDS);

        RegistryOutage brief = new RegistryOutage("start-up");
        fake.stop();
        assertThatThrownBy(() -> SchemaRegistries.registerPipelineSchemas(fake.confluentUrl() + "/other", brief,
                Duration.ofMillis(200))).isInstanceOfSatisfying(SchemaRegistryException.class,
                e -> assertThat(e.registryUnavailable()).isTrue());
    }

    private SchemaRegistryClient freshClient() {
        return new CachingSchemaRegistryClient(new HttpSchemaRegistryClient(fake.confluentUrl(), Duration.ofSeconds(2)));
    }

    static RevokeCommand command() {
        return RevokeCommand.newBuilder()
                .setCommandId("cmd-1").setRuleId("r").setPrincipal("pg:test/a").setTargets(List.of("pg:test/a"))
                .setBackendPids(List.of()).setWindowStartUs(0).setWindowEndUs(1)
                .setTriggerEventId("e").setTriggerEventTimeUs(1).setIssuedTimeUs(1)
                .build();
    }
}
