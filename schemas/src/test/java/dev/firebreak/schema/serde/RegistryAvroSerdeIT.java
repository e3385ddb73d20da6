package dev.firebreak.schema.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.CachingSchemaRegistryClient;
import dev.firebreak.schema.registry.HttpSchemaRegistryClient;
import dev.firebreak.schema.registry.SchemaRegistryClient;
import dev.firebreak.stack.ApicurioRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The serde against a real Apicurio Registry process speaking the Confluent API. */
class RegistryAvroSerdeIT {
    private static ApicurioRegistry registry;

    @BeforeAll
    static void start() {
        registry = ApicurioRegistry.start(Duration.ofSeconds(120));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void writesTheConfluentWireFormatWithTheIdTheRegistryAssigned() throws Exception {
        CountingClient counting = new CountingClient(new HttpSchemaRegistryClient(registry.confluentUrl(), Duration.ofSeconds(10)));
        SchemaRegistryClient client = new CachingSchemaRegistryClient(counting);
        var serializer = new RegistryAvroSerializer<>(AuditEvent.class, client, false);
        var deserializer = new RegistryAvroDeserializer<>(AuditEvent.class, client);

        AuditEvent event = event();
        byte[] first = serializer.serialize(Topics.AUDIT_EVENTS, event);
        for (int i = 0; i < 100; i++) {
            assertThat(deserializer.deserialize(Topics.AUDIT_EVENTS, serializer.serialize(Topics.AUDIT_EVENTS, event)))
                    .isEqualTo(event);
        }

        assertThat(first[0]).isZero();
        int id = ByteBuffer.wrap(first, 1, 4).getInt();
        // the id in the frame is the one the registry itself serves, with the same schema
        HttpResponse<String> byId = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(registry.confluentUrl() + "/schemas/ids/" + id)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(byId.statusCode()).isEqualTo(200);
        Schema served = new Schema.Parser().parse(new ObjectMapper().readTree(byId.body()).get("schema").asText());
        assertThat(served).isEqualTo(AuditEvent.getClassSchema());
        HttpResponse<String> versions = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(registry.confluentUrl() + "/subjects/" + Topics.AUDIT_EVENTS + "-value/versions")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(versions.body()).contains("1");
        // 101 records written and read: one registration, and no lookup (the writer's id was cached)
        assertThat(counting.registrations.get()).isEqualTo(1);
        assertThat(counting.lookups.get()).isZero();
    }

    @Test
    void aFreshReaderFetchesTheWriterSchemaByIdOnce() {
        SchemaRegistryClient writerSide = new CachingSchemaRegistryClient(
                new HttpSchemaRegistryClient(registry.confluentUrl(), Duration.ofSeconds(10)));
        byte[] framed = new RegistryAvroSerializer<>(AuditEvent.class, writerSide, false).serialize("reader-test", event());

        CountingClient counting = new CountingClient(new HttpSchemaRegistryClient(registry.confluentUrl(), Duration.ofSeconds(10)));
        var reader = new RegistryAvroDeserializer<>(AuditEvent.class, new CachingSchemaRegistryClient(counting));
        for (int i = 0; i < 10; i++) {
            assertThat(reader.deserialize("reader-test", framed).getPrincipal()).isEqualTo("pg:main/agent");
        }
        assertThat(counting.lookups.get()).isEqualTo(1);
    }

    private static AuditEvent event() {
        return AuditEvent.newBuilder()
                .setEventId("pg:main/16B3A40")
                .setPrincipal("pg:main/agent")
                .setSource(AuditSource.POSTGRES_EVENT_TRIGGER)
                .setAction("DROP TABLE")
                .setEventTimeUs(1_795_000_000_000_000L)
                .setCapturedTimeUs(1_795_000_000_002_000L)
                .setCluster("main")
                .setSessionUser("agent")
                .setStatement("DROP TABLE public.orders")
                .setObjects(List.of(AffectedObject.newBuilder().setObjectType("table").setSchemaName("public")
                        .setObjectName("orders").setIdentity("public.orders").setOriginal(true).build()))
                .setAttributes(Map.of("trigger", "sql_drop"))
                .build();
    }

    private static final class CountingClient implements SchemaRegistryClient {
        final SchemaRegistryClient delegate;
        final AtomicInteger registrations = new AtomicInteger();
        final AtomicInteger lookups = new AtomicInteger();

        CountingClient(SchemaRegistryClient delegate) {
            this.delegate = delegate;
        }

        @Override
        public int register(String subject, Schema schema) {
            registrations.incrementAndGet();
            return delegate.register(subject, schema);
        }

        @Override
        public Schema schemaById(int id) {
            lookups.incrementAndGet();
            return delegate.schemaById(id);
        }
    }
}
