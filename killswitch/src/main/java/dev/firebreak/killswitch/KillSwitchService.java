package dev.firebreak.killswitch;

import dev.firebreak.schema.Micros;

import dev.firebreak.kafka.ConsumerLoop;
import dev.firebreak.killswitch.caep.SecurityEventPublisher;
import dev.firebreak.metrics.BoundedLabel;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Severity;
import dev.firebreak.schema.TopicDurability;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.signing.RecordSignatures;
import dev.firebreak.schema.signing.RecordSignatures.Verification;
import dev.firebreak.schema.signing.SigningKey;
import dev.firebreak.metrics.RegistryOutageMeters;
import dev.firebreak.schema.registry.RegistryOutage;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.registry.SchemaRegistryException;
import dev.firebreak.schema.registry.SchemaRegistryClient;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.Collection;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kill switch as a service: consumes {@link Topics#KILLSWITCH_COMMANDS}, executes each command with
 * a {@link KillSwitch}, publishes one {@link RevocationResult} per target to
 * {@link Topics#KILLSWITCH_RESULTS} (key = target) and the CRITICAL alerts of refused or failed targets
 * to {@link Topics#ALERTS} (key = principal), and commits the command's offset only after all of those
 * were acknowledged. A crash in between replays the command, which revocation's idempotence makes safe.
 *
 * <p>Parallel: up to {@link KillSwitchConfig#PARALLELISM} commands run at once, one worker each, while one
 * principal's commands run one after the other in the order read ({@link CommandLedger}). Since workers
 * finish out of order, each partition's commit is the offset below which every command is finished, so a
 * commit never passes a command whose results Kafka has not acknowledged. The loop thread only reads,
 * dispatches and commits; a slow revocation holds its own principal's later commands and nothing else.
 *
 * <p>Clients are tuned for latency: the consumer long-polls with {@code fetch.min.bytes=1} (the broker
 * answers as soon as a command's transaction commits; a short {@code fetch.max.wait.ms} would only add
 * empty round trips while idle), the producer sends with {@code linger.ms=0} and {@code acks=all}. Runs on its own thread after
 * {@link #start()}; {@link #close()} stops it and closes the revokers. Gauge {@value #UP} is 1 while
 * the loop runs.
 *
 * <p>Trust: a command is executed only if its signature verifies under the configured
 * {@link KillSwitchConfig#COMMAND_VERIFICATION_SECRET} ({@link RecordSignatures}); any other command
 * revokes nothing, and each of its targets gets a FAILED result, a CRITICAL alert and a WARN line
 * naming rule, principal and window, and counter {@value #UNVERIFIED_COMMANDS} counts it. Every
 * published result is signed with {@link KillSwitchConfig#RESULT_SIGNING_SECRET}. The service does not
 * start without both secrets.
 *
 * <p>The schema registry may be down: the service starts without it (nothing is fetched or
 * registered at start-up), and a command it cannot decode because the registry is unavailable is
 * read again after a back-off (the consumer stays on that record), never skipped; the outcomes of an
 * executed command wait for the registry the same way before they are published and the command
 * committed. Only a command that is bad data (unknown magic byte, a schema id the registry answers
 * 404 for, undecodable bytes) is skipped, with a CRITICAL alert. Gauge
 * {@code firebreak.registry.unavailable{stage="killswitch"}} is 1 while it waits for the registry.
 */
public final class KillSwitchService implements Runnable, AutoCloseable {
    public static final String UP = "firebreak.killswitch.up";
    public static final String MISSING_PRIVILEGES = "firebreak.killswitch.missing.privileges";
    /** Commands not executed because their signature was missing or invalid (tag {@code reason}: missing, invalid). */
    public static final String UNVERIFIED_COMMANDS = "firebreak.killswitch.commands.unverified";
    /** Commands read and not yet finished (executing, publishing, or waiting for an earlier one of their principal). */
    public static final String IN_FLIGHT = "firebreak.killswitch.commands.in.flight";

    private static final Logger log = LoggerFactory.getLogger(KillSwitchService.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final long RETRY_BACKOFF_MS = 1_000;
    /** How often the revokers are told the kill switch is live (strict mode's heartbeat). */
    static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(2);
    private static final Duration REACH_KAFKA = Duration.ofSeconds(1);

    private final List<Revoker> revokers;
    private final KillSwitch killSwitch;
    /** CAEP session-revoked pushes after a revocation, when {@code firebreak.killswitch.caep.*} is set. */
    private final Optional<SecurityEventPublisher> securityEvents;
    private final SigningKey commandKey;
    private final SigningKey resultKey;
    /** Verifies manual commands ({@code firebreak revoke}); null when none is configured: they are refused. */
    private final SigningKey operatorKey;
    private final MeterRegistry meters;
    private final KafkaConsumer<String, RevokeCommand> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final RegistryAvroSerializer<RevocationResult> results;
    private final RegistryAvroSerializer<Alert> alerts;
    private final ConsumerLoop loop = new ConsumerLoop("kill switch");
    private final RegistryOutage outage = new RegistryOutage("kill switch");
    /** Whether the fallback to the issuer's clock was logged (once per process: it is the topic's setting). */
    private volatile boolean warnedCreateTime;
    private long lastBeat = System.nanoTime() - HEARTBEAT_INTERVAL.toNanos();
    /** Commands in progress: which may start (per principal, in order) and which offsets may be committed. */
    private final CommandLedger<ConsumerRecord<String, RevokeCommand>> ledger = new CommandLedger<>();
    /** Runs commands, {@link KillSwitchConfig#parallelism()} at once. */
    private final ExecutorService workers;
    /** Above this many commands in progress the consumer pauses its partitions (it keeps polling, to stay in the group). */
    private final int maxInFlight;
    /** How long a rebalance waits for the commands of partitions being taken away before committing them. */
    private final Duration drainTimeout;
    /** Serialisers are shared by the workers; the registry client's caches are not theirs to race on. */
    private final Object serializing = new Object();
    private boolean paused;

    /**
     * Builds the service around the given revokers, which it then owns (closes). Does not start it.
     *
     * @param config   Kafka, registry and dry-run settings
     * @param revokers one per target kind, see {@link KillSwitch}
     * @param meters   metrics registry (e.g. the Prometheus one)
     */
    public KillSwitchService(KillSwitchConfig config, List<Revoker> revokers, MeterRegistry meters) {
        this.commandKey = config.requireCommandVerificationKey();
        this.resultKey = config.requireResultSigningKey();
        this.operatorKey = config.operatorKey();
        this.meters = meters;
        this.revokers = List.copyOf(revokers);
        this.killSwitch = new KillSwitch(revokers, config.execution(), meters, new BoundedLabel(config.principalLabelLimit()));
        this.securityEvents = SecurityEventPublisher.fromConfig(config.targetBlocks(), meters);
        SchemaRegistryClient registry = SchemaRegistries.forUrl(config.schemaRegistryUrl());
        this.results = new RegistryAvroSerializer<>(RevocationResult.class, registry, false);
        this.alerts = new RegistryAvroSerializer<>(Alert.class, registry, false);

        Map<String, Object> consumerProps = new HashMap<>();
        consumerProps.put(ConsumerConfig.CLIENT_ID_CONFIG, "firebreak-killswitch");
        // A brand-new group must not miss commands issued before its first start; replays are harmless.
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500);
        consumerProps.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1);
        consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);
        consumerProps.putAll(config.consumerOverrides());
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // Detection writes commands in transactions: an aborted one (its send failed, detection
        // re-issues it after the restart) must never be executed. Not overridable.
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
                new RegistryAvroDeserializer<>(RevokeCommand.class, registry));

        Map<String, Object> producerProps = new HashMap<>();
        producerProps.put(ProducerConfig.CLIENT_ID_CONFIG, "firebreak-killswitch");
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        producerProps.putAll(config.producerOverrides());
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try {
            TopicDurability.require(TopicDurability.Requirement.of("kill switch",
                    List.of(Topics.KILLSWITCH_COMMANDS, Topics.KILLSWITCH_RESULTS, Topics.ALERTS),
                    Map.of("firebreak-killswitch", producerProps)), consumerProps);
            this.producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
        } catch (RuntimeException e) {
            closeQuietly(consumer);
            throw e;
        }

        this.maxInFlight = Math.max(64, config.parallelism() * 16);
        this.drainTimeout = config.commandDeadline().plusSeconds(1);
        this.workers = Executors.newFixedThreadPool(config.parallelism(), new ThreadFactory() {
            private final AtomicInteger n = new AtomicInteger();

            @Override
            public Thread newThread(Runnable r) {
                Thread t = new Thread(r, "firebreak-killswitch-worker-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            }
        });
        Gauge.builder(UP, this, s -> s.isRunning() ? 1 : 0).description("1 while the kill switch consumes commands")
                .register(meters);
        Gauge.builder(IN_FLIGHT, ledger, CommandLedger::inFlight)
                .description("Revoke commands read and not yet finished").register(meters);
        RegistryOutageMeters.bind(meters, "killswitch", outage);
        for (Revoker revoker : this.revokers) {
            List<String> lacking = revoker.missingPrivileges();
            if (!lacking.isEmpty()) {
                log.error("kill switch revoker {} lacks privileges, some revocations will fail: {}", revoker.describe(), lacking);
            }
            int missing = lacking.size();
            // One gauge per revoker (cluster or issuer): with several clusters of a kind, a kind tag alone
            // would register the first one only.
            Gauge.builder(MISSING_PRIVILEGES, () -> missing).tag("kind", revoker.kind()).tag("revoker", revoker.describe())
                    .description("Privileges a revoker lacks (see the start-up log for their names)").register(meters);
        }
    }

    /** Opens every configured revoker ({@link Revokers#open}) and starts the service on its own thread. */
    public static KillSwitchService start(KillSwitchConfig config, MeterRegistry meters) {
        List<Revoker> revokers = Revokers.open(config);
        try {
            return new KillSwitchService(config, revokers, meters).start();
        } catch (RuntimeException e) {
            revokers.forEach(Revoker::close);
            throw e;
        }
    }

    /** Starts {@link #run()} on a new thread named {@code firebreak-killswitch}. */
    public KillSwitchService start() {
        Thread thread = new Thread(this, "firebreak-killswitch");
        thread.start();
        return this;
    }

    /** Whether the command loop is running. */
    public boolean isRunning() {
        return loop.isLive();
    }

    /** Whether the loop ended (closed, or a fatal error): it will not run again. False while it starts. */
    public boolean hasStopped() {
        return loop.ended();
    }

    /**
     * The command loop; returns after {@link #close()} or a fatal error. It reads commands, hands each to
     * a worker (in order per principal, see {@link CommandLedger}) and commits what the workers finished;
     * it never waits for a revocation itself.
     */
    @Override
    public void run() {
        loop.begin();
        try {
            consumer.subscribe(List.of(Topics.KILLSWITCH_COMMANDS), new Rebalance());
            while (loop.running()) {
                pauseWhenBusy();
                ConsumerRecords<String, RevokeCommand> records;
                try {
                    records = consumer.poll(POLL);
                } catch (RecordDeserializationException e) {
                    if (SchemaRegistryException.isRegistryUnavailable(e)) {
                        // The command is fine; the consumer stays on it and the next poll reads it again.
                        loop.backOff(outage.failed("the command at " + e.topicPartition() + "@" + e.offset(), e));
                    } else {
                        skipUnreadable(e);
                    }
                    continue;
                }
                if (!records.isEmpty()) {
                    outage.succeeded();
                }
                beatIfDue();
                for (ConsumerRecord<String, RevokeCommand> record : records) {
                    dispatch(record);
                }
                commitFinished();
            }
        } catch (WakeupException e) {
            if (loop.running()) {
                log.error("kill switch woken up unexpectedly; stopping", e);
            }
        } catch (RuntimeException e) {
            log.error("kill switch stopped by an unexpected error: NO revoke command is executed until it is restarted", e);
        } finally {
            loop.stop();
            drainWorkers();
            closeQuietly(consumer);
            closeQuietly(producer);
            loop.finished();
        }
    }

    /** Records the command and starts it unless an earlier command of its principal is still in progress. */
    private void dispatch(ConsumerRecord<String, RevokeCommand> record) {
        String principal = record.value() != null ? record.value().getPrincipal()
                : record.key() != null ? record.key() : "";
        ledger.add(new TopicPartition(record.topic(), record.partition()), record.offset(), principal, record)
                .ifPresent(this::start);
    }

    private void start(CommandLedger.Ref<ConsumerRecord<String, RevokeCommand>> ref) {
        try {
            workers.execute(() -> work(ref));
        } catch (RejectedExecutionException e) {
            // closing: not completed, so not committed, and replayed (idempotently) at the next start
        }
    }

    /** A worker: executes and publishes one command, then starts the next of its principal. */
    private void work(CommandLedger.Ref<ConsumerRecord<String, RevokeCommand>> ref) {
        try {
            if (!loop.running()) {
                return; // closing: not completed, so not committed
            }
            // A command of a partition taken away meanwhile is left to the partition's new owner.
            if (ledger.owns(ref) && !handle(ref.payload())) {
                return; // closing: not completed, so not committed
            }
        } catch (RuntimeException e) {
            log.error("kill switch stopped by an unexpected error in command {}@{}: NO revoke command is executed until"
                    + " it is restarted", ref.partition(), ref.offset(), e);
            loop.stop();
            consumer.wakeup();
            return;
        }
        ledger.complete(ref).ifPresent(this::start);
    }

    /** Commits, per partition, the offset below which every command's results were acknowledged. */
    private void commitFinished() {
        Map<TopicPartition, Long> due = ledger.commitsDue();
        if (due.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        due.forEach((tp, offset) -> offsets.put(tp, new OffsetAndMetadata(offset)));
        try {
            consumer.commitSync(offsets);
            ledger.committed(due);
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            // Not lost: the same offsets (or later ones) are due again at the next round.
            log.warn("kill switch could not commit {}; will retry: {}", offsets, e.toString());
        }
    }

    /** Pauses reading while too many commands are in progress; resumes once below the bound. */
    private void pauseWhenBusy() {
        boolean busy = ledger.inFlight() >= maxInFlight;
        if (busy && !paused) {
            consumer.pause(consumer.assignment());
            paused = true;
        } else if (!busy && paused) {
            consumer.resume(consumer.paused());
            paused = false;
        }
    }

    /** At the end of the loop: lets the workers finish what they execute (bounded), and commits it. */
    private void drainWorkers() {
        workers.shutdown();
        try {
            if (!workers.awaitTermination(drainTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("kill switch workers did not finish within {}; their commands are replayed at the next start",
                        drainTimeout);
            }
            try {
                commitFinished();
            } catch (WakeupException e) {
                commitFinished(); // close()'s wake-up, still pending when the loop ended outside poll; it fires once
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("kill switch could not commit its last finished commands; they are replayed at the next start: {}",
                    e.toString());
        }
    }

    /**
     * Before partitions go to another instance, waits (bounded) for their commands to finish and commits
     * them, so the new owner does not run them again; a lost partition is only forgotten.
     */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            long until = System.nanoTime() + drainTimeout.toNanos();
            while (ledger.pending(partitions) > 0 && System.nanoTime() < until && loop.running()) {
                loop.backOff(5);
            }
            try {
                commitFinished();
            } catch (RuntimeException e) {
                log.warn("kill switch could not commit before a rebalance; the new owner replays: {}", e.toString());
            }
            ledger.drop(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            ledger.drop(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            paused = false; // a new assignment starts unpaused; the next round pauses again if still busy
        }
    }

    /**
     * Every {@link #HEARTBEAT_INTERVAL}, while the loop consumes: when the brokers answer for the
     * assigned command partitions (a bounded round trip; an empty poll alone proves nothing), every
     * revoker is told the kill switch is live. No assignment or no answer: no beat.
     */
    private void beatIfDue() {
        long now = System.nanoTime();
        if (now - lastBeat < HEARTBEAT_INTERVAL.toNanos() || consumer.assignment().isEmpty()) {
            return;
        }
        lastBeat = now;
        try {
            consumer.endOffsets(consumer.assignment(), REACH_KAFKA);
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            log.debug("kill switch heartbeat skipped: Kafka did not answer within {}", REACH_KAFKA);
            return;
        }
        killSwitch.heartbeat();
    }

    /**
     * Executes one command and publishes its outcomes, waiting for Kafka's acknowledgement; false if the
     * service closed first (the command is then not committed, and replayed at the next start).
     */
    private boolean handle(ConsumerRecord<String, RevokeCommand> record) {
        List<KillSwitch.Outcome> outcomes = record.value() == null ? List.of() : executeVerified(record);
        // Serialised first: an unavailable registry is waited out here, without executing the command again.
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
        for (KillSwitch.Outcome outcome : outcomes) {
            RevocationResult result = RecordSignatures.sign(outcome.result(), resultKey);
            byte[] value = serialize(results, Topics.KILLSWITCH_RESULTS, result);
            if (value == null) {
                return false;
            }
            out.add(new ProducerRecord<>(Topics.KILLSWITCH_RESULTS, result.getTarget(), value));
            if (outcome.alert().isPresent()) {
                Alert alert = outcome.alert().get();
                byte[] alertValue = serialize(alerts, Topics.ALERTS, alert);
                if (alertValue == null) {
                    return false;
                }
                out.add(new ProducerRecord<>(Topics.ALERTS, alert.getPrincipal(), alertValue));
            }
        }
        while (true) {
            try {
                List<Future<RecordMetadata>> acks = new ArrayList<>();
                for (ProducerRecord<String, byte[]> r : out) {
                    acks.add(producer.send(r));
                }
                for (Future<RecordMetadata> ack : acks) {
                    ack.get();
                }
                // Announced only once the result is durable: a SET never precedes the record it reports.
                securityEvents.ifPresent(p -> outcomes.forEach(o -> p.published(o.result())));
                return true;
            } catch (ExecutionException | KafkaException e) {
                // The outcomes are known; publishing them again is enough (the command is not executed twice).
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                log.error("kill switch could not publish the outcome of command at {}-{}@{}; retrying", record.topic(),
                        record.partition(), record.offset(), cause);
                backOff();
                if (!loop.running()) {
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /**
     * Executes the command only if its signature verifies: detection's (v1) under the command key, an
     * operator's (m1, manual) under the operator key; otherwise refuses every target, loudly.
     */
    private List<KillSwitch.Outcome> executeVerified(ConsumerRecord<String, RevokeCommand> record) {
        RevokeCommand command = record.value();
        boolean manual = RecordSignatures.isManual(command);
        Verification verification = !manual ? RecordSignatures.verify(command, commandKey)
                : operatorKey == null ? Verification.INVALID : RecordSignatures.verifyManual(command, operatorKey);
        if (verification == Verification.VALID) {
            if (manual) {
                log.warn("kill switch executing a MANUAL revoke command: operator={} reason={} principal={} targets={}"
                                + " window=[{}..{}] command={}", Printable.of(command.getOperator()),
                        Printable.of(command.getReason()), Printable.of(command.getPrincipal()), command.getTargets().size(),
                        Micros.format(command.getWindowStartUs()), Micros.format(command.getWindowEndUs()),
                        Printable.of(command.getCommandId()));
            }
            return killSwitch.execute(command, commandTime(record));
        }
        if (manual && operatorKey == null) {
            log.warn("kill switch has no {} configured: manual revoke commands cannot be verified",
                    KillSwitchConfig.OPERATOR_SECRET);
        }
        log.warn("kill switch did NOT execute the revoke command at {}-{}@{}: {}; rule={} principal={} window=[{}..{}]"
                        + " command={} targets={}", record.topic(), record.partition(), record.offset(),
                verification.problem(), Printable.of(command.getRuleId()), Printable.of(command.getPrincipal()),
                Micros.format(command.getWindowStartUs()), Micros.format(command.getWindowEndUs()),
                Printable.of(command.getCommandId()), command.getTargets().size());
        Counter.builder(UNVERIFIED_COMMANDS).description("Revoke commands not executed: signature missing or invalid")
                .tag("reason", verification.name().toLowerCase(java.util.Locale.ROOT)).register(meters).increment();
        return killSwitch.refuseUnverified(command, "revoke command not executed: " + verification.problem()
                + "; nothing was revoked");
    }

    /**
     * When the broker appended the record, in microseconds, if its topic stamps records with the
     * broker's clock ({@code message.timestamp.type=LogAppendTime}); empty for a producer's CreateTime,
     * which is detection's host clock and must not decide a command's age.
     */
    static OptionalLong brokerAppendTimeUs(ConsumerRecord<?, ?> record) {
        if (record.timestampType() == TimestampType.LOG_APPEND_TIME && record.timestamp() >= 0) {
            return OptionalLong.of(record.timestamp() * 1_000L);
        }
        return OptionalLong.empty();
    }

    /** The broker time of the command; without one, says once that age falls back to the issuer's clock. */
    private OptionalLong commandTime(ConsumerRecord<String, RevokeCommand> record) {
        OptionalLong appended = brokerAppendTimeUs(record);
        if (appended.isEmpty() && !warnedCreateTime) {
            warnedCreateTime = true;
            log.warn("kill switch: {} records carry {} timestamps, not LogAppendTime; command age is measured from"
                    + " the issuing host's clock (set message.timestamp.type=LogAppendTime on the topic)",
                    record.topic(), record.timestampType());
        }
        return appended;
    }

    /** A command that cannot be decoded is a command not executed: skip it, but loudly. */
    private void skipUnreadable(RecordDeserializationException e) {
        TopicPartition partition = e.topicPartition();
        log.error("kill switch cannot read the command at {}@{}; skipping it and alerting", partition, e.offset(), e);
        long now = Micros.now();
        Alert alert = Alert.newBuilder()
                .setAlertId("killswitch:unreadable:" + partition + "@" + e.offset())
                .setKind(AlertKind.REVOCATION_FAILED)
                .setSeverity(Severity.CRITICAL)
                .setRuleId("unknown")
                .setPrincipal("unknown")
                .setSummary("Kill switch could not read the revoke command at " + partition + "@" + e.offset()
                        + " and did not execute it: " + e.getMessage())
                .setResponse(Response.ALERT_ONLY)
                .setWindowStartUs(0).setWindowEndUs(0).setObserved(0).setThreshold(0)
                .setTriggerEventTimeUs(0)
                .setCreatedTimeUs(now)
                .build();
        try {
            byte[] value = serialize(alerts, Topics.ALERTS, alert);
            if (value == null) {
                return; // closing; the command is read (and judged) again at the next start
            }
            send(Topics.ALERTS, alert.getPrincipal(), value).get();
            consumer.seek(partition, e.offset() + 1);
            // Committed with the rest, once every earlier command of the partition is finished too.
            ledger.addDone(partition, e.offset());
            commitFinished();
        } catch (ExecutionException | KafkaException ex) {
            log.error("kill switch could not alert about the unreadable command at {}@{}; will retry", partition, e.offset(), ex);
            backOff();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            loop.stop();
        }
    }

    /**
     * Serialises {@code value}, waiting out an unavailable schema registry with back-off (the
     * serializer registers its schema on first use); null if the service is closed meanwhile.
     */
    private <T extends org.apache.avro.specific.SpecificRecord> byte[] serialize(RegistryAvroSerializer<T> serializer,
                                                                                 String topic, T value) {
        while (true) {
            try {
                byte[] bytes;
                synchronized (serializing) {
                    bytes = serializer.serialize(topic, value);
                }
                outage.succeeded();
                return bytes;
            } catch (RuntimeException e) {
                if (!SchemaRegistryException.isRegistryUnavailable(e)) {
                    throw e;
                }
                long delay = outage.failed("publishing to " + topic, e);
                if (!loop.running()) {
                    return null;
                }
                loop.backOff(delay);
                if (!loop.running()) {
                    return null;
                }
            }
        }
    }

    private Future<RecordMetadata> send(String topic, String key, byte[] value) {
        return producer.send(new ProducerRecord<>(topic, key, value));
    }

    private void backOff() {
        loop.backOff(RETRY_BACKOFF_MS);
    }

    /** Stops the loop (waiting up to 30 s for the command in progress), then closes the revokers. */
    @Override
    public void close() {
        if (!loop.close(consumer, log)) {
            closeQuietly(consumer);
            closeQuietly(producer);
        }
        workers.shutdownNow();
        killSwitch.close();
        securityEvents.ifPresent(SecurityEventPublisher::close);
        revokers.forEach(KillSwitchService::closeQuietly);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        ConsumerLoop.closeQuietly(closeable, log);
    }
}
