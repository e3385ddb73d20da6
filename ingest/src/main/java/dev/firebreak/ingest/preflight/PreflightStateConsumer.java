package dev.firebreak.ingest.preflight;

import dev.firebreak.schema.Alert;
import dev.firebreak.schema.DecisionApproval;
import dev.firebreak.schema.PreflightDecision;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.registry.SchemaRegistryClient;
import dev.firebreak.schema.registry.SchemaRegistryException;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@link LiveState} from the topics: kill switch results, alerts, recorded decisions and
 * approvals. Every ingest instance reads every partition (no consumer group, so no group to
 * authorise and no rebalancing), from {@code lookback.ms} ago at start-up; {@link #start} returns
 * once it has read up to the ends it found, so a restarted instance decides with the state it had.
 * Reads {@code read_committed}: an alert of an aborted detection transaction never happened.
 */
public final class PreflightStateConsumer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PreflightStateConsumer.class);
    /** How long one poll waits while nothing arrives. */
    private static final Duration IDLE_POLL = Duration.ofSeconds(1);
    static final List<String> TOPICS = List.of(Topics.KILLSWITCH_RESULTS, Topics.ALERTS, Topics.PREFLIGHT_DECISIONS,
            Topics.PREFLIGHT_APPROVALS);

    private final LiveState state;
    private final KafkaConsumer<String, byte[]> consumer;
    private final RegistryAvroDeserializer<RevocationResult> results;
    private final RegistryAvroDeserializer<Alert> alerts;
    private final RegistryAvroDeserializer<PreflightDecision> decisions;
    private final RegistryAvroDeserializer<DecisionApproval> approvals;
    private final Duration lookback;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Map<TopicPartition, Long> catchUp = new HashMap<>();
    private Thread thread;
    private volatile boolean running = true;

    /**
     * @param clientProperties bootstrap servers and the ingest user's client settings
     * @param registryUrl      the schema registry
     */
    public PreflightStateConsumer(LiveState state, Map<String, Object> clientProperties, String registryUrl, Duration lookback) {
        this.state = state;
        this.lookback = lookback;
        SchemaRegistryClient registry = SchemaRegistries.forUrl(registryUrl);
        this.results = new RegistryAvroDeserializer<>(RevocationResult.class, registry);
        this.alerts = new RegistryAvroDeserializer<>(Alert.class, registry);
        this.decisions = new RegistryAvroDeserializer<>(PreflightDecision.class, registry);
        this.approvals = new RegistryAvroDeserializer<>(DecisionApproval.class, registry);
        Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "firebreak-ingest-preflight");
        // A revocation or an approval must reach the decisions within milliseconds, which Kafka's
        // long poll already gives: the broker answers as soon as a record's transaction commits.
        // A short wait only added empty round trips (20 ms: fifty a second, 0.015 cores while idle).
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Assigns every partition, starts reading, and waits until the state is caught up (or the timeout). */
    public PreflightStateConsumer start(Duration catchUpTimeout) {
        assign();
        thread = new Thread(this::run, "firebreak-preflight-state");
        thread.setDaemon(true);
        thread.start();
        try {
            if (!caughtUp.await(catchUpTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("pre-flight state not caught up with " + TOPICS + " within " + catchUpTimeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the pre-flight state", e);
        }
        return this;
    }

    private void assign() {
        List<TopicPartition> all = new ArrayList<>();
        for (String topic : TOPICS) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (partitions == null || partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist; create it before ingest starts");
            }
            partitions.forEach(p -> all.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(all);
        long since = Instant.now().minus(lookback).toEpochMilli();
        Map<TopicPartition, Long> query = new HashMap<>();
        all.forEach(tp -> query.put(tp, since));
        // The ends first: a record appended between the two look-ups is read, not skipped.
        Map<TopicPartition, Long> ends = consumer.endOffsets(all);
        Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(query);
        for (TopicPartition tp : all) {
            OffsetAndTimestamp offset = offsets.get(tp);
            consumer.seek(tp, offset == null ? ends.get(tp) : offset.offset());
            catchUp.put(tp, ends.get(tp));
        }
    }

    private void run() {
        try {
            // empty topics: caught up before the first poll, which may wait its whole timeout
            checkCaughtUp();
            while (running) {
                // A poll returns as soon as a record arrives and close() wakes it up, so a long
                // timeout delays nothing; it only keeps an idle ingest from waking ten times a second.
                ConsumerRecords<String, byte[]> batch = consumer.poll(IDLE_POLL);
                for (ConsumerRecord<String, byte[]> record : batch) {
                    if (!apply(record)) {
                        consumer.seek(new TopicPartition(record.topic(), record.partition()), record.offset());
                        Thread.sleep(500);
                        break;
                    }
                }
                checkCaughtUp();
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("pre-flight state consumer stopped; decisions no longer see new revocations, alerts or approvals", e);
        }
    }

    private void checkCaughtUp() {
        if (caughtUp.getCount() == 0) {
            return;
        }
        catchUp.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
        if (catchUp.isEmpty()) {
            LOG.info("pre-flight state caught up with {} from {} ago", TOPICS, lookback);
            caughtUp.countDown();
        }
    }

    /** @return false when the registry is unavailable and the record must be read again later */
    private boolean apply(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return true;
        }
        try {
            long nowUs = Math.multiplyExact(System.currentTimeMillis(), 1000L);
            switch (record.topic()) {
                case Topics.KILLSWITCH_RESULTS -> state.onResult(results.deserialize(record.topic(), record.value()));
                case Topics.ALERTS -> state.onAlert(alerts.deserialize(record.topic(), record.value()));
                case Topics.PREFLIGHT_DECISIONS -> state.onDecision(decisions.deserialize(record.topic(), record.value()));
                case Topics.PREFLIGHT_APPROVALS -> state.onApproval(approvals.deserialize(record.topic(), record.value()), nowUs);
                default -> LOG.debug("record of unexpected topic {}", record.topic());
            }
            return true;
        } catch (RuntimeException e) {
            if (SchemaRegistryException.isRegistryUnavailable(e)) {
                LOG.warn("schema registry unavailable while reading {}; retrying", record.topic());
                return false;
            }
            LOG.warn("unreadable record on {} partition {} offset {} skipped by the pre-flight state: {}", record.topic(),
                    record.partition(), record.offset(), e.toString());
            return true;
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        if (thread != null) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        consumer.close(Duration.ofSeconds(2));
    }
}
