package dev.firebreak.launcher.bench;

import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A Kafka consumer of the audit events topic in the bench's own JVM: an event counts as arrived
 * when this consumer has it. Serves one awaited event at a time (latency samples) and any number of
 * counters (throughput). It also reads the alerts topic, so a bench that tripped a rule says so.
 */
final class EventTap implements AutoCloseable {
    /** How long the broker may hold an empty fetch; data is returned as soon as it is there. */
    static final int FETCH_MAX_WAIT_MS = 5;

    /** A matching event, and when this consumer had it (monotonic nanos and wall-clock micros). */
    record Arrival(AuditEvent event, long nanos, long wallMicros) {
    }

    private record Expectation(Predicate<AuditEvent> matches, CompletableFuture<Arrival> arrival) {
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final RegistryAvroDeserializer<AuditEvent> events;
    private final RegistryAvroDeserializer<Alert> alerts;
    private final AtomicReference<Expectation> expected = new AtomicReference<>();
    private final List<FlowCounter> counters = new CopyOnWriteArrayList<>();
    private final List<String> alertsSeen = new CopyOnWriteArrayList<>();
    private final AtomicLong unreadable = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    private EventTap(KafkaConsumer<String, byte[]> consumer, String registryUrl) {
        var registry = SchemaRegistries.forUrl(registryUrl);
        this.consumer = consumer;
        this.events = new RegistryAvroDeserializer<>(AuditEvent.class, registry);
        this.alerts = new RegistryAvroDeserializer<>(Alert.class, registry);
        this.thread = new Thread(this::loop, "firebreak-capture-bench-tap");
        thread.setDaemon(true);
    }

    /**
     * Subscribes, waits until every partition is assigned and its position resolved to the end,
     * and starts consuming: nothing produced after this returns is missed.
     */
    static EventTap join(Map<String, String> clientProperties, String registryUrl, Duration timeout) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerProperties(clientProperties),
                new StringDeserializer(), new ByteArrayDeserializer());
        try {
            List<String> topics = List.of(Topics.AUDIT_EVENTS, Topics.ALERTS);
            consumer.subscribe(topics);
            int partitions = topics.stream().mapToInt(t -> consumer.partitionsFor(t).size()).sum();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (consumer.assignment().size() < partitions) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the bench consumer was not assigned " + topics + " within " + timeout);
                }
                consumer.poll(Duration.ofMillis(100));
            }
            consumer.assignment().forEach(consumer::position); // resolve "latest" now, not at the first event
        } catch (RuntimeException e) {
            consumer.close(Duration.ofSeconds(2));
            throw e;
        }
        EventTap tap = new EventTap(consumer, registryUrl);
        tap.thread.start();
        return tap;
    }

    private static Properties consumerProperties(Map<String, String> clientProperties) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ConsumerConfig.GROUP_ID_CONFIG,
                dev.firebreak.launcher.stack.PipelineKafkaAcls.OBSERVER_GROUP_PREFIX + "capture-bench-" + UUID.randomUUID());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "firebreak-capture-bench");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // As detection reads its input: committed records only.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, Integer.toString(FETCH_MAX_WAIT_MS));
        return props;
    }

    /** The next event matching {@code matches}; replaces an earlier expectation still open. */
    CompletableFuture<Arrival> expect(Predicate<AuditEvent> matches) {
        CompletableFuture<Arrival> arrival = new CompletableFuture<>();
        expected.set(new Expectation(matches, arrival));
        return arrival;
    }

    /** Starts counting the events matching {@code matches} from now on. */
    FlowCounter count(Predicate<AuditEvent> matches) {
        FlowCounter counter = new FlowCounter(matches);
        counters.add(counter);
        return counter;
    }

    void stopCounting(FlowCounter counter) {
        counters.remove(counter);
    }

    /** Principal and rule of every alert seen since the tap joined. */
    List<String> alerts() {
        return List.copyOf(alertsSeen);
    }

    /** Records that could not be read as their topic's schema. */
    long unreadable() {
        return unreadable.get();
    }

    private void loop() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    long nanos = System.nanoTime();
                    long wallMicros = Micros.now();
                    read(record, nanos, wallMicros);
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void read(ConsumerRecord<String, byte[]> record, long nanos, long wallMicros) {
        try {
            if (record.topic().equals(Topics.ALERTS)) {
                Alert alert = alerts.deserialize(record.topic(), record.value());
                alertsSeen.add(alert.getKind() + " " + alert.getPrincipal() + " (" + alert.getRuleId() + ")");
            } else {
                dispatch(new Arrival(events.deserialize(record.topic(), record.value()), nanos, wallMicros));
            }
        } catch (SerializationException e) {
            unreadable.incrementAndGet();
        }
    }

    private void dispatch(Arrival arrival) {
        Expectation open = expected.get();
        if (open != null && open.matches().test(arrival.event()) && expected.compareAndSet(open, null)) {
            open.arrival().complete(arrival);
        }
        for (FlowCounter counter : counters) {
            counter.offer(arrival);
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
