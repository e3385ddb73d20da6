package dev.firebreak.export.ocsf;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Severity;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import dev.firebreak.stack.EmbeddedKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The export stage on a real broker: audit events and alerts in, OCSF events out, each valid for its class. */
class OcsfExportIT {
    private static final String REGISTRY = "mem://ocsf-export-it";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void auditEventsAndAlertsComeOutAsValidOcsfEvents() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1)) {
            kafka.createTopics(List.of(Topics.AUDIT_EVENTS, Topics.ALERTS, Topics.OCSF), Map.of());
            AuditEvent drop = OcsfMapperTest.pgEvent("DROP TABLE", "10.0.0.9");
            AuditEvent agent = AuditEvent.newBuilder(drop).setEventId("agent:bot/1").setPrincipal("agent:bot")
                    .setSource(AuditSource.AGENT_ACTION_HTTP).setAction("volumeDelete").setDatabase(null).build();
            Alert alert = OcsfMapperTest.alert(AlertKind.RULE_TRIGGERED, Severity.CRITICAL);
            produce(kafka, Topics.AUDIT_EVENTS, AuditEvent.class, drop.getPrincipal(), drop);
            produce(kafka, Topics.AUDIT_EVENTS, AuditEvent.class, agent.getPrincipal(), agent);
            produce(kafka, Topics.ALERTS, Alert.class, alert.getPrincipal(), alert);

            Map<String, String> settings = Map.of(OcsfExportConfig.ENABLED, "true",
                    OcsfExportConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(), OcsfExportConfig.SCHEMA_REGISTRY_URL, REGISTRY);
            List<JsonNode> out;
            try (OcsfExporter exporter = OcsfExporter.start(OcsfExportConfig.fromMap(settings).orElseThrow(), "test",
                    new SimpleMeterRegistry())) {
                out = read(kafka, 3);
                assertThat(exporter.isRunning()).isTrue();
            }

            OcsfSchema ocsf = new OcsfSchema(Set.of());
            Map<Integer, String> classes = Map.of(6005, "datastore_activity", 6003, "api_activity", 2004, "detection_finding");
            assertThat(out).extracting(j -> j.get("class_uid").asInt()).containsExactlyInAnyOrder(6005, 6003, 2004);
            for (JsonNode event : out) {
                assertThat(ocsf.validate(classes.get(event.get("class_uid").asInt()), event)).as(event.toString()).isEmpty();
            }
        }
    }

    private static <T extends SpecificRecord> void produce(EmbeddedKafka kafka, String topic, Class<T> type, String key,
                                                         T value) throws Exception {
        try (KafkaProducer<String, T> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()), new StringSerializer(),
                new RegistryAvroSerializer<>(type, SchemaRegistries.forUrl(REGISTRY), false))) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }

    private static List<JsonNode> read(EmbeddedKafka kafka, int count) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()), new StringDeserializer(),
                new StringDeserializer())) {
            TopicPartition partition = new TopicPartition(Topics.OCSF, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (out.size() < count && System.nanoTime() < end) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(JSON.readTree(r.value()));
                }
            }
        }
        assertThat(out).hasSize(count);
        return out;
    }
}
