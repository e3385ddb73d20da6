package dev.firebreak.detect;

import dev.firebreak.metrics.BoundedLabel;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import dev.firebreak.metrics.RegistryOutageMeters;
import dev.firebreak.schema.registry.RegistryOutage;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * {@link DetectionMetrics} on Micrometer, with the names and labels of the metric catalogue:
 * {@code firebreak.detection.events{outcome}}, {@code .rule.hits{rule, severity}},
 * {@code .episodes{rule, severity, response}}, {@code .open.episodes{rule}},
 * {@code .latency{rule}} (trigger event time to alert emitted, a histogram), {@code .dead.letters{reason}},
 * and the per-principal {@code firebreak.principal.events{principal, source, destructive}} and
 * {@code firebreak.principal.episodes{principal, rule, severity}}, whose principal is bounded by
 * {@link BoundedLabel}. Labels are rule ids (bounded by the rules), enums, and bounded principals.
 */
public final class MicrometerDetectionMetrics implements DetectionMetrics {
    private final MeterRegistry meters;
    private final BoundedLabel principals;
    private final LongSupplier nowUs;
    private final Counter evaluated;
    private final Counter replayed;
    private final Counter deadLettered;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> latencies = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Integer>> openByRule = new ConcurrentHashMap<>();
    private final RegistryOutage outage = new RegistryOutage("detection");

    /**
     * @param nowUs the clock alerts are emitted by, epoch microseconds
     */
    public MicrometerDetectionMetrics(MeterRegistry meters, BoundedLabel principals, LongSupplier nowUs) {
        this.meters = meters;
        this.principals = principals;
        this.nowUs = nowUs;
        this.evaluated = outcome("evaluated");
        this.replayed = outcome("replayed");
        this.deadLettered = outcome("dead_letter");
        // The reasons are a fixed set: registered up front, so a rate over them is 0 rather than absent.
        deadLetterReason(UNREADABLE);
        RegistryOutageMeters.bind(meters, "detection", outage);
    }

    /** One per service, so its gauges outlive topology swaps on rule reload. */
    @Override
    public RegistryOutage registryOutage() {
        return outage;
    }

    /** On the system clock. */
    public MicrometerDetectionMetrics(MeterRegistry meters, BoundedLabel principals) {
        this(meters, principals, dev.firebreak.schema.Micros::now);
    }

    private Counter outcome(String outcome) {
        return Counter.builder("firebreak.detection.events").tag("outcome", outcome)
                .description("Audit records read by detection, by outcome").register(meters);
    }

    /** The {@code source} label of an audit source, in ingest's vocabulary. */
    static String sourceLabel(AuditSource source) {
        return switch (source) {
            case POSTGRES_EVENT_TRIGGER -> "postgres";
            case POSTGRES_SERVER_LOG -> "pglog";
            case AGENT_ACTION_HTTP -> "agent_http";
            case AGENT_ACTION_TABLE -> "agent_table";
            case AGENT_PREFLIGHT -> "agent_preflight";
            case POSTGRES_ROW_CHANGE -> "row_change";
            default -> "unknown";
        };
    }

    private static String label(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public void evaluated(String principal, AuditEvent event) {
        evaluated.increment();
        String who = principals.of(principal);
        String source = sourceLabel(event.getSource());
        String destructive = Boolean.toString(event.getDestructive());
        counter("pe\u0000" + who + '\u0000' + source + '\u0000' + destructive, () -> Counter
                .builder("firebreak.principal.events").tag("principal", who).tag("source", source)
                .tag("destructive", destructive).description("Audit events per principal (bounded label)"))
                .increment();
    }

    @Override
    public void replayed(String rule) {
        replayed.increment();
    }

    @Override
    public void deadLetter(String reason) {
        deadLettered.increment();
        deadLetterReason(reason).increment();
    }

    private Counter deadLetterReason(String reason) {
        return counter("dl\u0000" + reason, () -> Counter.builder("firebreak.detection.dead.letters").tag("reason", reason)
                .description("Records detection sent to the dead-letter topic, by reason"));
    }

    @Override
    public void ruleHit(String rule, Severity severity) {
        counter("hit\u0000" + rule + '\u0000' + severity, () -> Counter.builder("firebreak.detection.rule.hits")
                .tag("rule", rule).tag("severity", label(severity))
                .description("Events that matched a rule, before exceptions and thresholds")).increment();
    }

    @Override
    public void episode(String rule, Severity severity, Response response, String principal, long triggerEventTimeUs) {
        counter("ep\u0000" + rule + '\u0000' + severity + '\u0000' + response, () -> Counter
                .builder("firebreak.detection.episodes").tag("rule", rule).tag("severity", label(severity))
                .tag("response", label(response)).description("Alerts emitted: one per burst episode")).increment();
        String who = principals.of(principal);
        counter("pep\u0000" + who + '\u0000' + rule + '\u0000' + severity, () -> Counter
                .builder("firebreak.principal.episodes").tag("principal", who).tag("rule", rule)
                .tag("severity", label(severity)).description("Episodes per principal (bounded label)")).increment();
        latencies.computeIfAbsent(rule, r -> Timer.builder("firebreak.detection.latency").tag("rule", r)
                        .description("Source time of the triggering event to the alert being emitted")
                        .publishPercentileHistogram().register(meters))
                .record(Math.max(0, nowUs.getAsLong() - triggerEventTimeUs), TimeUnit.MICROSECONDS);
    }

    @Override
    public void openEpisodes(String rule, String task, int open) {
        openByRule.computeIfAbsent(rule, r -> {
            Map<String, Integer> byTask = new ConcurrentHashMap<>();
            Gauge.builder("firebreak.detection.open.episodes", byTask,
                            m -> m.values().stream().mapToInt(Integer::intValue).sum())
                    .tag("rule", r).description("Episodes whose quiet period has not elapsed")
                    .strongReference(true).register(meters);
            return byTask;
        }).put(task, open);
    }

    private Counter counter(String key, java.util.function.Supplier<Counter.Builder> builder) {
        return counters.computeIfAbsent(key, k -> builder.get().register(meters));
    }
}
