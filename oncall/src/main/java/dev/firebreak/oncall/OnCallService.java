package dev.firebreak.oncall;

import dev.firebreak.kafka.ConsumerLoop;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.TopicDurability;
import dev.firebreak.schema.Topics;
import dev.firebreak.metrics.RegistryOutageMeters;
import dev.firebreak.schema.registry.RegistryOutage;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.registry.SchemaRegistryException;
import dev.firebreak.schema.registry.SchemaRegistryClient;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On-call paging: reads {@link Topics#ALERTS} and {@link Topics#KILLSWITCH_RESULTS} and keeps every
 * Alertmanager of the configured set informed of which Firebreak alerts fire and which were resolved
 * (see {@link OnCallState} for the rules, {@link AlertRenderer} for labels and annotations).
 *
 * <p>No consumer group: every instance reads all partitions, starting {@code lookback} ago (found with
 * {@code offsetsForTimes}), and rebuilds its state from them before the first push, so a restart neither
 * loses a firing alert nor pages again for one already closed. Several instances may run: Alertmanager
 * deduplicates identical alerts. New and changed alerts are pushed at once, all active ones again every
 * resend interval; a push that fails is simply retried then.
 *
 * <p>Metrics: counter {@value #NOTIFICATIONS}{state=firing|resolved, outcome=sent|failed}, one count per
 * alert and Alertmanager; gauge {@value #ACTIVE_ALERTS}, the alerts firing.
 */
public final class OnCallService implements Runnable, AutoCloseable {
    public static final String NOTIFICATIONS = "firebreak.oncall.notifications";
    public static final String ACTIVE_ALERTS = "firebreak.oncall.active.alerts";
    static final List<String> TOPICS = List.of(Topics.ALERTS, Topics.KILLSWITCH_RESULTS);

    private static final Logger log = LoggerFactory.getLogger(OnCallService.class);
    private static final Duration MAX_POLL = Duration.ofMillis(100);
    private static final long ERROR_BACKOFF_MS = 1_000;

    private final OnCallConfig config;
    private final Clock clock;
    private final MeterRegistry meters;
    private final OnCallState state;
    private final AlertRenderer renderer;
    private final AlertmanagerClient client;
    private final KafkaConsumer<String, byte[]> consumer;
    private final RegistryAvroDeserializer<Alert> alerts;
    private final RegistryAvroDeserializer<RevocationResult> results;
    private final AtomicInteger firing = new AtomicInteger();
    private final Duration poll;
    private final Set<TopicPartition> assigned = new HashSet<>();
    private final Map<TopicPartition, Long> catchUp = new HashMap<>();
    private final Map<String, Boolean> reachable = new HashMap<>();
    private final ConsumerLoop loop = new ConsumerLoop("on-call");
    private final RegistryOutage outage = new RegistryOutage("on-call");
    private Instant nextAssignmentCheck = Instant.MIN;
    private boolean caughtUp;

    /**
     * Builds the service; does not start it.
     *
     * @param config validated settings ({@link OnCallConfig#fromMap})
     * @param meters where {@value #NOTIFICATIONS} and {@value #ACTIVE_ALERTS} are registered
     * @param clock  the time alerts are held, resolved and announced by
     */
    public OnCallService(OnCallConfig config, MeterRegistry meters, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.meters = meters;
        this.state = new OnCallState(config.resendInterval(), config.alertHold(), maxAge(config));
        this.renderer = new AlertRenderer(config.environment(), config.dashboardUrl());
        this.poll = config.resendInterval().compareTo(MAX_POLL) < 0 ? config.resendInterval() : MAX_POLL;
        SchemaRegistryClient registry = SchemaRegistries.forUrl(config.schemaRegistryUrl());
        this.alerts = new RegistryAvroDeserializer<>(Alert.class, registry);
        this.results = new RegistryAvroDeserializer<>(RevocationResult.class, registry);

        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "firebreak-oncall");
        // long poll: the broker answers as soon as an alert commits; a short wait only costs idle CPU
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500);
        props.putAll(config.consumerOverrides());
        // an alert of an aborted transaction never happened: do not page for it (not overridable)
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        TopicDurability.require(TopicDurability.Requirement.of("on-call",
                List.of(Topics.ALERTS, Topics.KILLSWITCH_RESULTS), Map.of()), props);
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.client = new AlertmanagerClient(config.alertmanagerUrls(), config.timeout());
        Gauge.builder(ACTIVE_ALERTS, firing, AtomicInteger::get).description("Firebreak alerts firing in Alertmanager")
                .register(meters);
        RegistryOutageMeters.bind(meters, "oncall", outage);
    }

    /** Builds the service and starts it on its own thread. */
    public static OnCallService start(OnCallConfig config, MeterRegistry meters) {
        return new OnCallService(config, meters, Clock.systemUTC()).start();
    }

    /** An alert nobody resolved is dropped at this age; never before its hold has passed. */
    static Duration maxAge(OnCallConfig config) {
        return config.lookback().compareTo(config.alertHold()) > 0 ? config.lookback() : config.alertHold();
    }

    /** Starts {@link #run()} on a new thread named {@code firebreak-oncall}. */
    public OnCallService start() {
        new Thread(this, "firebreak-oncall").start();
        return this;
    }

    /** Whether the loop is running. */
    public boolean isRunning() {
        return loop.isLive();
    }

    /** Whether the loop ended (closed, or a fatal error): it will not run again. False while it starts. */
    public boolean hasStopped() {
        return loop.ended();
    }

    /** The loop; returns after {@link #close()} or a fatal error. */
    @Override
    public void run() {
        loop.begin();
        log.info("on-call notifier starting: {}", config);
        try {
            while (loop.running()) {
                try {
                    step();
                } catch (WakeupException e) {
                    throw e;
                } catch (KafkaException e) {
                    log.error("on-call notifier cannot read from Kafka; retrying in {} ms", ERROR_BACKOFF_MS, e);
                    backOff();
                }
            }
        } catch (WakeupException e) {
            if (loop.running()) {
                log.error("on-call notifier woken up unexpectedly; stopping", e);
            }
        } catch (RuntimeException e) {
            log.error("on-call notifier stopped by an unexpected error: NOTHING is paged until it is restarted", e);
        } finally {
            closeQuietly(consumer);
            loop.finished();
        }
    }

    private void step() {
        Instant now = clock.instant();
        if (!now.isBefore(nextAssignmentCheck)) {
            assignNewPartitions(now); // on failure retried at the next step, before anything is read
            nextAssignmentCheck = now.plus(config.resendInterval());
        }
        var records = consumer.poll(poll);
        if (!records.isEmpty()) {
            log.debug("on-call notifier read {} record(s)", records.count());
        }
        Set<TopicPartition> started = new HashSet<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            if (!handle(record, clock.instant())) {
                // The schema registry is unavailable: read this record and every later one again.
                // Records come partition by partition, so a partition started before this one is done.
                consumer.seek(tp, record.offset());
                for (TopicPartition other : records.partitions()) {
                    if (!other.equals(tp) && !started.contains(other)) {
                        consumer.seek(other, records.records(other).get(0).offset());
                    }
                }
                break;
            }
            started.add(tp);
        }
        if (!caughtUp) {
            caughtUp = catchUp.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
            if (!caughtUp) {
                return;
            }
            catchUp.clear();
            log.info("on-call notifier rebuilt its state from the last {}: {} alert(s) tracked, {} firing",
                    config.lookback(), state.tracked(), state.firing());
        }
        push(clock.instant());
    }

    /** Assigns partitions not yet read (all of them at start) and positions them {@code lookback} ago. */
    private void assignNewPartitions(Instant now) {
        List<TopicPartition> fresh = new ArrayList<>();
        for (String topic : TOPICS) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic);
            if (partitions == null || partitions.isEmpty()) {
                log.warn("on-call notifier: topic {} does not exist (yet); nothing is read from it", topic);
                continue;
            }
            partitions.stream().map(p -> new TopicPartition(p.topic(), p.partition()))
                    .filter(tp -> !assigned.contains(tp)).forEach(fresh::add);
        }
        if (fresh.isEmpty()) {
            return;
        }
        Set<TopicPartition> all = new HashSet<>(assigned);
        all.addAll(fresh);
        consumer.assign(all);
        long since = now.minus(config.lookback()).toEpochMilli();
        Map<TopicPartition, Long> query = new HashMap<>();
        fresh.forEach(tp -> query.put(tp, since));
        // The end first: a record appended between the two look-ups is then read, not skipped.
        Map<TopicPartition, Long> ends = consumer.endOffsets(fresh);
        Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(query);
        for (TopicPartition tp : fresh) {
            OffsetAndTimestamp offset = offsets.get(tp);
            // none at or after the lookback start: everything up to that end is older, start there
            consumer.seek(tp, offset == null ? ends.get(tp) : offset.offset());
            if (!caughtUp) {
                catchUp.put(tp, ends.get(tp));
            }
        }
        assigned.addAll(fresh);
        log.info("on-call notifier reads {} from {}", fresh, now.minus(config.lookback()));
    }

    /** False when the record must be read again because the schema registry is unavailable. */
    private boolean handle(ConsumerRecord<String, byte[]> record, Instant now) {
        if (record.value() == null) {
            return true;
        }
        try {
            if (record.topic().equals(Topics.ALERTS)) {
                state.onAlert(alerts.deserialize(record.topic(), record.value()), now);
            } else {
                state.onResult(results.deserialize(record.topic(), record.value()), now);
            }
            outage.succeeded();
        } catch (RuntimeException e) {
            if (SchemaRegistryException.isRegistryUnavailable(e)) {
                // not bad data: wait for the registry and read the record again
                loop.backOff(outage.failed("the record " + record.topic() + "-" + record.partition() + "@"
                        + record.offset(), e));
                return false;
            }
            // one unreadable record must not stop the paging of every other alert
            log.error("on-call notifier skips the unreadable record {}-{}@{}", record.topic(), record.partition(),
                    record.offset(), e);
        }
        return true;
    }

    private void push(Instant now) {
        List<OnCallState.Notification> due = state.due(now);
        if (!due.isEmpty()) {
            List<AlertmanagerAlert> rendered = due.stream().map(n -> renderer.render(n, now)).toList();
            List<AlertmanagerClient.Delivery> deliveries = client.post(rendered);
            log.debug("on-call notifier pushed {} alert(s): {}", rendered.size(), deliveries);
            int accepted = (int) deliveries.stream().filter(AlertmanagerClient.Delivery::accepted).count();
            record(due, deliveries);
            state.delivered(due, accepted, deliveries.size(), clock.instant());
        }
        firing.set(state.firing());
    }

    private void record(List<OnCallState.Notification> due, List<AlertmanagerClient.Delivery> deliveries) {
        long resolved = due.stream().filter(OnCallState.Notification::resolved).count();
        for (AlertmanagerClient.Delivery d : deliveries) {
            String outcome = d.accepted() ? "sent" : "failed";
            count("firing", outcome, due.size() - resolved);
            count("resolved", outcome, resolved);
            Boolean before = reachable.put(d.alertmanager(), d.accepted());
            if (!d.accepted()) {
                log.warn("on-call notifier could not push {} alert(s) to Alertmanager {}: {}; retrying in {}",
                        due.size(), d.alertmanager(), d.error(), config.resendInterval());
            } else if (Boolean.FALSE.equals(before)) {
                log.info("on-call notifier reaches Alertmanager {} again", d.alertmanager());
            }
        }
    }

    private void count(String alertState, String outcome, long n) {
        if (n > 0) {
            Counter.builder(NOTIFICATIONS).description("Alerts pushed to an Alertmanager, per alert and Alertmanager")
                    .tag("state", alertState).tag("outcome", outcome).register(meters).increment(n);
        }
    }

    private void backOff() {
        loop.backOff(ERROR_BACKOFF_MS);
    }

    /** Stops the loop (waiting up to 30 s for a push in progress) and releases the HTTP client. */
    @Override
    public void close() {
        if (!loop.close(consumer, log)) {
            closeQuietly(consumer);
        }
        client.close();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        ConsumerLoop.closeQuietly(closeable, log);
    }
}
