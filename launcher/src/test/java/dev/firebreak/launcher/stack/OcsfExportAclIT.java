package dev.firebreak.launcher.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.export.ocsf.OcsfExportConfig;
import dev.firebreak.export.ocsf.OcsfExporter;
import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import dev.firebreak.stack.EmbeddedKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The export stage under the pipeline's ACLs ({@link PipelineKafkaAcls}): as {@code firebreak-export}
 * it reads audit events and writes OCSF events, and it may write nothing else.
 */
class OcsfExportAclIT {
    private static final String REGISTRY = "mem://ocsf-export-acl-it";

    @Test
    void theExportUserExportsAndMayWriteNothingElse() throws Exception {
        Map<String, String> users = new HashMap<>();
        PipelineKafkaAcls.USERS.forEach(u -> users.put(u, u + "-secret"));
        try (EmbeddedKafka kafka = EmbeddedKafka.startSecured(users)) {
            kafka.createTopics(Topics.PIPELINE_TOPICS, Map.of());
            try (Admin admin = kafka.admin()) {
                PipelineKafkaAcls.grant(admin, DetectionConfig.DEFAULT_APPLICATION_ID, KillSwitchConfig.DEFAULT_GROUP_ID,
                        Duration.ofSeconds(60));
            }
            AuditEvent event = AuditEvent.newBuilder().setEventId("pg:main/0/1").setPrincipal("pg:main/mallory")
                    .setSource(AuditSource.POSTGRES_EVENT_TRIGGER).setAction("DROP TABLE").setEventTimeUs(1_765_000_000_000_000L)
                    .setCapturedTimeUs(1_765_000_000_001_000L).setCluster("main").setDestructive(true).build();
            Map<String, Object> ingest = new HashMap<>(kafka.clientProperties(PipelineKafkaAcls.INGEST));
            try (KafkaProducer<String, AuditEvent> producer = new KafkaProducer<>(ingest, new StringSerializer(),
                    new RegistryAvroSerializer<>(AuditEvent.class, SchemaRegistries.forUrl(REGISTRY), false))) {
                producer.send(new ProducerRecord<>(Topics.AUDIT_EVENTS, event.getPrincipal(), event)).get();
            }

            Map<String, String> settings = new HashMap<>();
            settings.put(OcsfExportConfig.ENABLED, "true");
            settings.put(OcsfExportConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
            settings.put(OcsfExportConfig.SCHEMA_REGISTRY_URL, REGISTRY);
            kafka.clientProperties(PipelineKafkaAcls.EXPORT).forEach((k, v) -> {
                if (!k.equals("bootstrap.servers")) {
                    settings.put(OcsfExportConfig.CLIENT_PREFIX + k, v);
                }
            });
            try (OcsfExporter exporter = OcsfExporter.start(OcsfExportConfig.fromMap(settings).orElseThrow(),
                    new SimpleMeterRegistry())) {
                assertThat(readOcsfAsObserver(kafka)).singleElement().asString().contains("\"class_uid\":6005",
                        "pg:main/mallory");
                assertThat(exporter.isRunning()).isTrue();
            }

            Map<String, Object> export = new HashMap<>(kafka.clientProperties(PipelineKafkaAcls.EXPORT));
            export.put("max.block.ms", 10_000);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(export, new StringSerializer(),
                    new StringSerializer())) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.KILLSWITCH_COMMANDS, "k", "v")).get())
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
            }
        }
    }

    private static List<String> readOcsfAsObserver(EmbeddedKafka kafka) {
        Map<String, Object> props = new HashMap<>(kafka.clientProperties(PipelineKafkaAcls.OBSERVER));
        props.put(ConsumerConfig.GROUP_ID_CONFIG, PipelineKafkaAcls.OBSERVER_GROUP_PREFIX + "ocsf-it");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.OCSF));
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (out.isEmpty() && System.nanoTime() < end) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
            }
        }
        return out;
    }
}
