package dev.firebreak.launcher.demo;

import dev.firebreak.schema.Alert;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Follows what the pipeline decided, the way an operator would: the alerts topic and the kill
 * switch's results topic. Keeps the latest result per target and alert per principal.
 */
public final class OutcomeWatcher implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final RegistryAvroDeserializer<Alert> alerts;
    private final RegistryAvroDeserializer<RevocationResult> results;
    private final Map<String, RevocationResult> resultsByTarget = new ConcurrentHashMap<>();
    private final Map<String, List<Alert>> alertsByPrincipal = new ConcurrentHashMap<>();
    private final Consumer<Alert> onAlert;
    private final Consumer<RevocationResult> onResult;
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param clientProperties bootstrap servers and credentials, e.g. the stack's read-only observer
     *                         ({@code LocalStack.observerClientProperties()}), whose groups it uses
     */
    public OutcomeWatcher(Map<String, String> clientProperties, String registryUrl,
                          Consumer<Alert> onAlert, Consumer<RevocationResult> onResult) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ConsumerConfig.GROUP_ID_CONFIG,
                dev.firebreak.launcher.stack.PipelineKafkaAcls.OBSERVER_GROUP_PREFIX + "watcher-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10");
        // Detection's output is transactional: report only what the kill switch and on-call see.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        var registry = SchemaRegistries.forUrl(registryUrl);
        this.alerts = new RegistryAvroDeserializer<>(Alert.class, registry);
        this.results = new RegistryAvroDeserializer<>(RevocationResult.class, registry);
        this.onAlert = onAlert;
        this.onResult = onResult;
        consumer.subscribe(List.of(Topics.ALERTS, Topics.KILLSWITCH_RESULTS));
        // Join the group before anything happens, so that "latest" does not skip the first outcomes.
        while (consumer.assignment().size() < 2) {
            consumer.poll(Duration.ofMillis(100));
        }
        this.thread = new Thread(this::loop, "firebreak-outcome-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.topic().equals(Topics.ALERTS)) {
                        Alert alert = alerts.deserialize(record.topic(), record.value());
                        alertsByPrincipal.computeIfAbsent(alert.getPrincipal(), p -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(alert);
                        onAlert.accept(alert);
                    } else {
                        RevocationResult result = results.deserialize(record.topic(), record.value());
                        resultsByTarget.put(result.getTarget(), result);
                        onResult.accept(result);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** The latest result for {@code target}, waiting up to {@code timeout} for one. */
    public Optional<RevocationResult> awaitResult(String target, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            RevocationResult result = resultsByTarget.get(target);
            if (result != null) {
                return Optional.of(result);
            }
            sleep(5);
        }
        return Optional.ofNullable(resultsByTarget.get(target));
    }

    /** Every alert seen so far about {@code principal}, oldest first. */
    public List<Alert> alertsFor(String principal) {
        return List.copyOf(alertsByPrincipal.getOrDefault(principal, List.of()));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
