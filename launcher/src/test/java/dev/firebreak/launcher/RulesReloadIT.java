package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.detect.DetectionService;
import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** An edit of the rule files takes effect in a running detection, with no restart by hand. */
class RulesReloadIT {

    @Test
    void aStricterThresholdWrittenToTheRulesFolderTakesEffectWhileRunning() throws Exception {
        Path rulesDir = Files.createTempDirectory("firebreak-rules");
        String bundled;
        try (InputStream in = DetectionConfig.class.getResourceAsStream("/dev/firebreak/detect/rules/firebreak.yaml")) {
            bundled = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Path rules = rulesDir.resolve("firebreak.yaml");
        Files.writeString(rules, bundled.replaceFirst("threshold: 3", "threshold: 5"), StandardCharsets.UTF_8);
        try (LocalStack stack = LocalStack.start(1, m -> { })) {
            Map<String, String> flat = new HashMap<>(PipelineSettings.stackMap(stack, "reload", List.of()));
            flat.put(DetectionConfig.RULES_PATH, rulesDir.toString());
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            try (DetectionService detection = new DetectionService(DetectionConfig.fromMap(flat), meters);
                 KafkaProducer<String, byte[]> producer = producer(stack)) {
                detection.start();
                String before = "pg:reload/before_" + UUID.randomUUID().toString().substring(0, 6);
                burst(stack, producer, before, 3);
                assertThat(commandsFor(stack, before, Duration.ofSeconds(5))).as("3 < 5: nothing").isEmpty();

                Files.writeString(rules, bundled, StandardCharsets.UTF_8); // back to 3
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> detection.rules().stream()
                        .anyMatch(r -> r.id().equals("pg-drop-table-burst") && r.threshold() == 3));
                String after = "pg:reload/after_" + UUID.randomUUID().toString().substring(0, 6);
                burst(stack, producer, after, 3);
                assertThat(commandsFor(stack, after, Duration.ofSeconds(30))).hasSize(1);
                assertThat(reloads(meters, "applied")).isEqualTo(1);

                // A broken edit is refused and counted; the rules in force stay.
                Files.writeString(rules, "rules: [ {id: broken", StandardCharsets.UTF_8);
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> reloads(meters, "invalid") == 1);
                assertThat(reloads(meters, "applied")).isEqualTo(1);
            }
        }
    }

    private static double reloads(SimpleMeterRegistry meters, String outcome) {
        return meters.get(DetectionService.RULE_RELOADS).tag("outcome", outcome).counter().count();
    }

    private static void burst(LocalStack stack, KafkaProducer<String, byte[]> producer, String principal, int drops)
            throws Exception {
        var serializer = new RegistryAvroSerializer<>(AuditEvent.class, SchemaRegistries.forUrl(stack.registryUrl()), false);
        long t0 = Micros.now();
        for (int i = 0; i < drops; i++) {
            AuditEvent event = AuditEvent.newBuilder()
                    .setEventId(principal + "/" + i).setPrincipal(principal).setSource(AuditSource.POSTGRES_EVENT_TRIGGER)
                    .setAction("DROP TABLE").setEventTimeUs(t0 + i * 100_000L).setCapturedTimeUs(t0 + i * 100_000L + 1_000)
                    .setCluster("reload").setStatement("DROP TABLE t" + i)
                    .setObjects(List.of(AffectedObject.newBuilder().setObjectType("table").setIdentity("public.t" + i)
                            .setOriginal(true).build()))
                    .setDestructive(true).setAttributes(Map.of("trigger", "sql_drop")).build();
            producer.send(new ProducerRecord<>(Topics.AUDIT_EVENTS, principal, serializer.serialize(Topics.AUDIT_EVENTS, event))).get();
        }
    }

    private static KafkaProducer<String, byte[]> producer(LocalStack stack) {
        Properties props = new Properties();
        props.putAll(stack.adminClientProperties());
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private static List<RevokeCommand> commandsFor(LocalStack stack, String principal, Duration wait) {
        Properties props = new Properties();
        props.putAll(stack.adminClientProperties());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<RevokeCommand> found = new ArrayList<>();
        try (KafkaConsumer<String, RevokeCommand> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new RegistryAvroDeserializer<>(RevokeCommand.class, SchemaRegistries.forUrl(stack.registryUrl())))) {
            consumer.subscribe(List.of(Topics.KILLSWITCH_COMMANDS));
            long deadline = System.nanoTime() + wait.toNanos();
            while (System.nanoTime() < deadline && found.isEmpty()) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.value().getPrincipal().equals(principal)) {
                        found.add(r.value());
                    }
                });
            }
        }
        return found;
    }
}
