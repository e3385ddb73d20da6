package dev.firebreak.detect;

import dev.firebreak.detect.Baseline.BaselineSettings;
import dev.firebreak.detect.Baseline.Finding;
import dev.firebreak.rules.RuleException;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per principal, learns its normal rate of destructive actions and alerts (never revokes) when it
 * destroys something for the first time or suddenly far above its own history. Runs after the
 * rules, so it adds nothing to the path of a revocation.
 */
final class BaselineProcessor implements Processor<String, AuditEvent, String, SpecificRecord> {
    static final String FIRST_DESTRUCTIVE_RULE = "baseline-first-destructive";
    static final String ABOVE_BASELINE_RULE = "baseline-above-normal";
    /** Stream time between sweeps for baselines past their retention. */
    static final Duration PURGE_INTERVAL = Duration.ofMinutes(1);
    /** Most baselines one sweep reads; the next sweep resumes after the last key read. */
    static final int PURGE_BATCH = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(BaselineProcessor.class);

    private final BaselineSettings settings;
    private final List<RuleException> exceptions;
    private final DetectionMetrics metrics;
    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, byte[]> store;
    private final int purgeBatch;
    /** Where the next sweep resumes: the last key the previous one read, null to start over. */
    private String purgeCursor;

    /**
     * @param exceptions the loaded exceptions; those for rule {@code *} or a baseline rule id also
     *                   silence baselines, so an allow-listed migration pages nobody
     */
    BaselineProcessor(BaselineSettings settings, List<RuleException> exceptions, DetectionMetrics metrics) {
        this(settings, exceptions, metrics, PURGE_BATCH);
    }

    /** As above, sweeping at most {@code purgeBatch} baselines per punctuation. */
    BaselineProcessor(BaselineSettings settings, List<RuleException> exceptions, DetectionMetrics metrics,
                      int purgeBatch) {
        this.purgeBatch = purgeBatch;
        this.settings = settings;
        this.metrics = metrics;
        this.exceptions = exceptions.stream()
                .filter(e -> e.appliesTo(FIRST_DESTRUCTIVE_RULE) || e.appliesTo(ABOVE_BASELINE_RULE)).distinct().toList();
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.store = context.getStateStore(DetectionNames.BASELINE_STATE);
        context.schedule(PURGE_INTERVAL, PunctuationType.STREAM_TIME, this::purgeIdle);
    }

    /**
     * Deletes the baselines whose latest bucket started more than the retention before stream time,
     * reading at most {@link #purgeBatch} of them after the previous sweep's last key, so the store
     * holds the principals active within the retention (plus one sweep cycle) and no sweep holds
     * the stream thread for a scan of every principal.
     */
    private void purgeIdle(long streamTimeMs) {
        long cutoffUs = streamTimeMs * 1_000 - settings.retention().toNanos() / 1_000;
        List<String> idle = new ArrayList<>();
        int read = 0;
        String last = null;
        try (KeyValueIterator<String, byte[]> batch = store.range(purgeCursor, null)) {
            while (read < purgeBatch && batch.hasNext()) {
                KeyValue<String, byte[]> entry = batch.next();
                if (entry.key.equals(purgeCursor)) {
                    continue; // read by the previous sweep
                }
                read++;
                last = entry.key;
                if (Baseline.fromBytes(entry.value).bucketStartUs() < cutoffUs) {
                    idle.add(entry.key);
                }
            }
        }
        purgeCursor = read < purgeBatch ? null : last;
        idle.forEach(store::delete);
        LOG.debug("baselines: read {}, purged {} idle for more than {}", read, idle.size(), settings.retention());
    }

    @Override
    public void process(Record<String, AuditEvent> record) {
        AuditEvent event = record.value();
        if (!event.getDestructive()) {
            return;
        }
        String principal = record.key() != null ? record.key() : event.getPrincipal();
        long timeUs = AuditEventTimestampExtractor.eventTimeUs(event, record.timestamp());
        if (excepted(event, principal, timeUs)) {
            return;
        }
        byte[] stored = store.get(principal);
        Baseline.Step step = (stored == null ? Baseline.NEW : Baseline.fromBytes(stored)).observe(timeUs, settings);
        store.put(principal, step.next().toBytes());
        if (step.finding() != Finding.NONE) {
            Alert alert = alert(principal, event, step, timeUs);
            context.forward(new Record<>(principal, alert, record.timestamp()), DetectionNames.ALERTS_SINK);
            // A spike pages at once; a principal's first destructive action, which every new
            // principal has, waits for the commit interval: a commit each, under exactly-once a
            // transaction each, held detection-bench to a few hundred events/s with 100k principals.
            if (step.finding() == Finding.ABOVE_BASELINE) {
                context.commit();
            }
            metrics.episode(alert.getRuleId(), alert.getSeverity(), Response.ALERT_ONLY, principal, timeUs);
        }
    }

    private boolean excepted(AuditEvent event, String principal, long timeUs) {
        for (RuleException exception : exceptions) {
            if (exception.covers(FIRST_DESTRUCTIVE_RULE, principal, event.getApplicationName(), timeUs)
                    || exception.covers(ABOVE_BASELINE_RULE, principal, event.getApplicationName(), timeUs)) {
                return true;
            }
        }
        return false;
    }

    private Alert alert(String principal, AuditEvent event, Baseline.Step step, long timeUs) {
        boolean first = step.finding() == Finding.FIRST_DESTRUCTIVE;
        Baseline b = step.next();
        String summary = first
                ? principal + " performed a destructive action for the first time: " + event.getAction()
                : String.format(Locale.ROOT, "%s made %d destructive actions in one %s bucket, normal is %.1f",
                        principal, b.bucketCount(), settings.bucket(), b.averagePerBucket());
        return Alert.newBuilder()
                .setAlertId((first ? FIRST_DESTRUCTIVE_RULE : ABOVE_BASELINE_RULE) + "/" + principal + "/" + event.getEventId())
                .setKind(AlertKind.RULE_TRIGGERED)
                .setSeverity(first ? Severity.WARNING : Severity.HIGH)
                .setRuleId(first ? FIRST_DESTRUCTIVE_RULE : ABOVE_BASELINE_RULE)
                .setPrincipal(principal)
                .setSummary(summary)
                .setResponse(Response.ALERT_ONLY)
                .setWindowStartUs(first ? timeUs : b.bucketStartUs())
                .setWindowEndUs(timeUs)
                .setObserved(first ? 1 : b.bucketCount())
                .setThreshold(first ? 1 : (long) Math.max(settings.minimum(), Math.floor(settings.factor() * b.averagePerBucket()) + 1))
                .setFirstEventId(event.getEventId())
                .setTriggerEventId(event.getEventId())
                .setTriggerEventTimeUs(timeUs)
                .setRecoveryLsn(event.getLsn())
                .setRecoveryTimeUs(timeUs)
                .setSampleStatements(event.getStatement() == null ? List.of() : List.of(event.getStatement()))
                .setBackendPids(event.getBackendPid() == null ? List.of() : List.of(event.getBackendPid()))
                .setCreatedTimeUs(event.getCapturedTimeUs())
                .setTriage(first
                        ? "A principal that never destroyed anything just did. Check whether the action was planned "
                          + "(a migration, a cleanup ticket) and who started it; if not, lock the principal by hand."
                        : "The principal destroys far more than its own history says. Compare with its recent "
                          + "deployments or jobs; look at the sample statements and the recovery point.")
                .setTags(List.of("baseline"))
                .build();
    }
}
