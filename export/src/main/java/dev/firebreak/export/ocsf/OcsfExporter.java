package dev.firebreak.export.ocsf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.firebreak.kafka.ConsumerLoop;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.registry.SchemaRegistryClient;
import dev.firebreak.schema.registry.SchemaRegistryException;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The export stage: reads audit events and alerts and writes each as an OCSF event (JSON, see
 * {@link OcsfMapper}) to {@link Topics#OCSF}, keyed like its input (by principal). Offsets are committed
 * only after Kafka acknowledged a poll's output, so the export is at-least-once: after a restart a SIEM
 * may see an event twice, with the same {@code metadata.uid}. It runs off the revocation path: a slow
 * or stopped export never delays detection or the kill switch.
 */
public final class OcsfExporter implements Runnable, AutoCloseable {
    public static final String EXPORTED = "firebreak.export.ocsf.events";
    private static final Logger log = LoggerFactory.getLogger(OcsfExporter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration POLL = Duration.ofMillis(200);
    private static final long REGISTRY_BACKOFF_MS = 500;

    private final OcsfMapper mapper;
    private final RegistryAvroDeserializer<AuditEvent> events;
    private final RegistryAvroDeserializer<Alert> alerts;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, String> producer;
    private final MeterRegistry meters;
    private final ConsumerLoop loop = new ConsumerLoop("OCSF export");

    public OcsfExporter(OcsfExportConfig config, String productVersion, MeterRegistry meters) {
        this.mapper = new OcsfMapper(productVersion);
        this.meters = meters;
        SchemaRegistryClient registry = SchemaRegistries.forUrl(config.schemaRegistryUrl());
        this.events = new RegistryAvroDeserializer<>(AuditEvent.class, registry);
        this.alerts = new RegistryAvroDeserializer<>(Alert.class, registry);
        Map<String, Object> consumerProps = new HashMap<>(config.clientOverrides());
        consumerProps.put(ConsumerConfig.CLIENT_ID_CONFIG, "firebreak-export");
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // an alert of an aborted detection transaction never happened
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(), new ByteArrayDeserializer());
        Map<String, Object> producerProps = new HashMap<>(config.clientOverrides());
        producerProps.put(ProducerConfig.CLIENT_ID_CONFIG, "firebreak-export");
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.producer = new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer());
        log.info("OCSF export from {} and {} to {}: {}", Topics.AUDIT_EVENTS, Topics.ALERTS, Topics.OCSF, config);
    }

    /** As {@link #start(OcsfExportConfig, String, MeterRegistry)}, reporting this jar's version as the product's. */
    public static OcsfExporter start(OcsfExportConfig config, MeterRegistry meters) {
        String version = OcsfExporter.class.getPackage().getImplementationVersion();
        return start(config, version == null ? "dev" : version, meters);
    }

    /** Builds the exporter and runs it on a thread named {@code firebreak-export}. */
    public static OcsfExporter start(OcsfExportConfig config, String productVersion, MeterRegistry meters) {
        OcsfExporter exporter = new OcsfExporter(config, productVersion, meters);
        new Thread(exporter, "firebreak-export").start();
        return exporter;
    }

    @Override
    public void run() {
        loop.begin();
        try {
            consumer.subscribe(List.of(Topics.AUDIT_EVENTS, Topics.ALERTS));
            while (loop.running()) {
                ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
                if (!records.isEmpty() && !export(records)) {
                    loop.backOff(REGISTRY_BACKOFF_MS);
                }
            }
        } catch (WakeupException e) {
            // close() asked us to stop
        } catch (RuntimeException e) {
            log.error("OCSF export stopped", e);
        } finally {
            ConsumerLoop.closeQuietly(consumer, log);
            ConsumerLoop.closeQuietly(producer, log);
            loop.finished();
        }
    }

    /** Maps, produces and commits one poll; false (nothing committed, rewound) when the registry is unavailable. */
    private boolean export(ConsumerRecords<String, byte[]> records) {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            ObjectNode event;
            try {
                event = map(record);
            } catch (RuntimeException e) {
                if (SchemaRegistryException.isRegistryUnavailable(e)) {
                    log.warn("OCSF export waits for the schema registry: {}", e.toString());
                    records.partitions().forEach(p -> consumer.seek(p, records.records(p).get(0).offset()));
                    return false;
                }
                // one unreadable record must not stop the export of the others; producers validated it already
                count(record.topic(), "unreadable");
                log.warn("OCSF export skips the unreadable record {}-{}@{}: {}", record.topic(), record.partition(),
                        record.offset(), e.toString());
                continue;
            }
            if (event != null) {
                acks.add(producer.send(new ProducerRecord<>(Topics.OCSF, record.key(), event.toString())));
                count(record.topic(), "exported");
            }
        }
        try {
            for (Future<RecordMetadata> ack : acks) {
                ack.get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("OCSF export could not write to " + Topics.OCSF, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WakeupException();
        }
        consumer.commitSync();
        return true;
    }

    private ObjectNode map(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return null;
        }
        return record.topic().equals(Topics.ALERTS) ? mapper.alert(alerts.deserialize(record.topic(), record.value()))
                : mapper.audit(events.deserialize(record.topic(), record.value()));
    }

    private void count(String topic, String outcome) {
        Counter.builder(EXPORTED).description("Records exported as OCSF events, by input topic and outcome")
                .tag("topic", topic).tag("outcome", outcome).register(meters).increment();
    }

    public boolean isRunning() {
        return loop.isLive();
    }

    /** Whether the loop ended (closed, or a fatal error): it will not run again. False while it starts. */
    public boolean hasStopped() {
        return loop.ended();
    }

    @Override
    public void close() {
        if (!loop.close(consumer, log)) {
            ConsumerLoop.closeQuietly(consumer, log);
            ConsumerLoop.closeQuietly(producer, log);
        }
    }
}
