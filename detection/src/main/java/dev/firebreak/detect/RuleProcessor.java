package dev.firebreak.detect;

import dev.firebreak.detect.RuleDetector.Outcome;
import dev.firebreak.detect.RuleDetector.Step;
import dev.firebreak.detect.DropBurstState.TrackedEvent;
import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.signing.RecordSignatures;
import dev.firebreak.schema.signing.SigningKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * Runs one {@link DetectionRule} per principal: keeps the principal's state in the rule's store and
 * emits the alert and the revoke command on the event that crosses the threshold. Events covered
 * by an active exception are not counted; a shadow rule alerts (marked) and never revokes. While
 * the episode is open, a counted event re-issues the command when its revocation did not hold
 * (see {@link ReissuePolicy}).
 */
final class RuleProcessor implements Processor<String, AuditEvent, String, SpecificRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(RuleProcessor.class);
    /** Stream time between sweeps for principals that went quiet. */
    static final Duration PURGE_INTERVAL = Duration.ofSeconds(10);
    /**
     * Most states one sweep reads. A sweep resumes after the last key it read, so it never holds the
     * stream thread (and the next revocation) for a scan of every principal: at 1M principals a
     * full cycle takes 100 sweeps, about 17 minutes of stream time, after which an idle principal
     * is gone. The punctuation runs between records, never inside the processing of one.
     */
    static final int PURGE_BATCH = 10_000;
    /** Wall-clock time between reports of the open episodes, so the gauge falls when bursts end. */
    static final Duration OPEN_EPISODES_INTERVAL = Duration.ofSeconds(10);
    private static final long MICROS_PER_MILLI = 1_000;

    private final DetectionRule rule;
    private final RuleDetector detector;
    private final DetectionMetrics metrics;
    private final SigningKey commandKey;
    private final ReissuePolicy reissue;
    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, DropBurstState> store;
    private PrincipalLinks links;
    private RevocationOutcomes outcomes;
    /**
     * Principals whose episode may be open, to their latest event time: kept as episodes open and
     * end, so the gauge reads these few instead of every state in the store.
     */
    private final Map<String, Long> openEpisodes = new HashMap<>();
    private final int purgeBatch;
    /** Where the next sweep resumes: the last key the previous one read, null to start over. */
    private String purgeCursor;

    RuleProcessor(DetectionRule rule, DetectionMetrics metrics, SigningKey commandKey, ReissuePolicy reissue) {
        this(rule, metrics, commandKey, reissue, PURGE_BATCH);
    }

    /** As above, sweeping at most {@code purgeBatch} states per punctuation. */
    RuleProcessor(DetectionRule rule, DetectionMetrics metrics, SigningKey commandKey, ReissuePolicy reissue,
                  int purgeBatch) {
        this.purgeBatch = purgeBatch;
        this.rule = rule;
        this.commandKey = java.util.Objects.requireNonNull(commandKey, "commandKey");
        this.reissue = java.util.Objects.requireNonNull(reissue, "reissue");
        this.detector = new RuleDetector(rule);
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.store = context.getStateStore(DetectionNames.dropBurstState(rule.id()));
        this.links = new PrincipalLinks(context.getStateStore(DetectionNames.PRINCIPAL_LINKS_STORE));
        if (reissue.enabled() && rule.effectiveResponse() == Response.REVOKE) {
            this.outcomes = new RevocationOutcomes(context.getStateStore(DetectionNames.REVOCATION_OUTCOMES_STORE));
        }
        loadOpenEpisodes();
        context.schedule(PURGE_INTERVAL, PunctuationType.STREAM_TIME, this::purgeIdle);
        context.schedule(OPEN_EPISODES_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::reportOpenEpisodes);
    }

    @Override
    public void process(Record<String, AuditEvent> record) {
        AuditEvent event = record.value();
        long amount = rule.weight(event);
        if (amount == 0) {
            return;
        }
        // Re-keyed by the router: the key is the owner, the event still names the credential.
        boolean rekeyed = fromOwnerEvents();
        String principal = rekeyed || record.key() == null ? event.getPrincipal() : record.key();
        if (rule.effectiveResponse() == Response.REVOKE && !DetectionRule.verifiedOrigin(event)) {
            // A routine may have been planted by another role: counting it could frame the session's
            // login. Alert-only rules still see it; the guard refused it already where it applies.
            LOG.info("rule {}: event {} of {} ran inside routine {}; not counted towards a revocation", rule.id(),
                    event.getEventId(), principal, event.getAttributes().get(DetectionRule.ROUTINE_ATTRIBUTE));
            return;
        }
        metrics.ruleHit(rule.id(), rule.severity());
        long timeUs = AuditEventTimestampExtractor.eventTimeUs(event, record.timestamp());
        if (!rule.exceptions().isEmpty() && rule.excepted(event, principal, timeUs)) {
            LOG.debug("rule {}: event {} of {} is covered by an exception; not counted", rule.id(),
                    event.getEventId(), principal);
            return;
        }
        TrackedEvent tracked = tracked(event, amount, timeUs);
        // Windows count per credential and, when it is linked, per owner too: switching credentials
        // mid-burst does not reset the owner's count. The router sent a linked credential's events to
        // the owner's task and counts the rest in place, so the owner is the one it saw: looking the
        // link up again could see a newer one and count an owner's window outside the owner's task.
        String owner = rekeyed ? record.key() : null;
        Step own = observe(principal, tracked, event);
        Step owners = owner == null || owner.equals(principal) ? null : observe(owner, tracked, event);
        // Both windows crossing on one event is one burst: the owner's, whose command covers every
        // linked credential anyway.
        if (owners != null && owners.outcome() == Outcome.TRIGGERED) {
            emit(owners.burst(), event, record.timestamp(), owner);
        } else if (own.outcome() == Outcome.TRIGGERED) {
            emit(own.burst(), event, record.timestamp(), owner);
        } else if (!reissued(owner, owners, tracked, event, record.timestamp())) {
            reissued(principal, own, tracked, event, record.timestamp());
        }
    }

    private boolean fromOwnerEvents() {
        return context.recordMetadata().map(m -> Topics.DETECTION_OWNER_EVENTS.equals(m.topic())).orElse(false);
    }

    /**
     * Re-issues the command of {@code key}'s open episode when {@code step} counted an event into it
     * and the latest verified result of the current command says it did not hold on some target
     * (FAILED, or REINSTATED since), up to {@link ReissuePolicy#max()} times per episode. The new
     * command has its own deterministic id ({@link DropBurstState#commandId()}), so the kill switch
     * does not take it for a replay, and the state records it before it is sent: under exactly-once
     * both commit together.
     */
    private boolean reissued(String key, Step step, TrackedEvent tracked, AuditEvent event, long timestampMs) {
        if (outcomes == null || step == null || step.outcome() != Outcome.EXTENDED) {
            return false;
        }
        DropBurstState state = step.state();
        if (state.commands() > reissue.max()) {
            LOG.debug("rule {}: episode {} of {} re-issued {} times already; no more", rule.id(), state.episodeId(),
                    key, reissue.max());
            return false;
        }
        List<String> targets = links.revocationTargets(key);
        java.util.Optional<RevocationOutcomes.Latest> notHolding = outcomes.notHolding(state.commandId(), targets);
        if (notHolding.isEmpty()) {
            return false;
        }
        DropBurstState next = new DropBurstState(state.latestUs(), state.events(), state.episodeId(), state.commands() + 1);
        store.put(key, next);
        trackEpisode(key, next);
        long createdUs = event.getCapturedTimeUs() > 0 ? event.getCapturedTimeUs() : timestampMs * MICROS_PER_MILLI;
        RevokeCommand command = RecordSignatures.sign(RevokeCommand.newBuilder()
                .setCommandId(next.commandId()).setRuleId(rule.id()).setPrincipal(key).setTargets(targets)
                .setBackendPids(tracked.backendPids())
                .setWindowStartUs(tracked.timeUs()).setWindowEndUs(tracked.timeUs())
                .setTriggerEventId(tracked.eventId()).setTriggerEventTimeUs(tracked.timeUs())
                .setIssuedTimeUs(createdUs).setDryRun(false).build(), commandKey);
        RevocationOutcomes.Latest why = notHolding.get();
        LOG.warn("rule {}: re-issuing revocation of {} as {} (re-issue {} of at most {}): command {} was {} for target {};"
                        + " the burst goes on, event {} at {} µs within window {}", rule.id(), key, next.commandId(),
                next.commands() - 1, reissue.max(), why.commandId(), why.outcome(), why.target(), tracked.eventId(),
                tracked.timeUs(), rule.window());
        context.forward(new Record<>(key, command, timestampMs), DetectionNames.REVOKE_COMMANDS_SINK);
        context.commit();
        return true;
    }

    private Step observe(String key, TrackedEvent tracked, AuditEvent event) {
        Step step = detector.observe(store.get(key), tracked, key);
        switch (step.outcome()) {
            case LATE -> LOG.warn("rule {}: event {} of {} is later than the grace of {}; not counted",
                    rule.id(), event.getEventId(), key, rule.grace());
            case DUPLICATE -> {
                metrics.replayed(rule.id());
                LOG.debug("rule {}: event {} of {} already counted", rule.id(), event.getEventId(), key);
            }
            default -> { }
        }
        if (step.changed()) {
            store.put(key, step.state());
            trackEpisode(key, step.state());
        }
        return step;
    }

    private TrackedEvent tracked(AuditEvent event, long amount, long timeUs) {
        return new TrackedEvent(timeUs, amount, event.getEventId(), event.getLsn(), event.getStatement(),
                event.getBackendPid(), rule.identities(event));
    }

    // The command goes first: it is what the latency budget is for. It is signed here, where it is
    // built, so nothing between detection and the kill switch can change it unnoticed.
    private void emit(Burst burst, AuditEvent trigger, long timestampMs, String owner) {
        long createdUs = trigger.getCapturedTimeUs() > 0 ? trigger.getCapturedTimeUs() : timestampMs * MICROS_PER_MILLI;
        LOG.warn("rule {} tripped by {}: {} {} from {} to {} µs, episode {}, response {}{}", rule.id(),
                burst.principal(), burst.observed(), rule.measure(), burst.startUs(), burst.endUs(), burst.episodeId(),
                rule.response(), rule.shadow() ? " (shadow: alert only)" : "");
        if (rule.effectiveResponse() == Response.REVOKE) {
            RevokeCommand command = RecordSignatures.sign(
                    burst.toRevokeCommand(rule, createdUs, links.revocationTargets(burst.principal())), commandKey);
            context.forward(new Record<>(burst.principal(), command, timestampMs), DetectionNames.REVOKE_COMMANDS_SINK);
        }
        context.forward(new Record<>(burst.principal(), burst.toAlert(rule, createdUs, owner), timestampMs),
                DetectionNames.ALERTS_SINK);
        // Under exactly-once the kill switch sees the command only once this transaction commits:
        // asking for the commit now, instead of at the next commit interval, takes the interval
        // out of the latency budget, so the interval and poll can stay long and an idle thread cheap.
        context.commit();
        metrics.episode(rule.id(), rule.severity(), rule.effectiveResponse(), burst.principal(),
                AuditEventTimestampExtractor.eventTimeUs(trigger, timestampMs));
        reportOpenEpisodes(context.currentStreamTimeMs());
    }

    /**
     * Counts the principals whose episode is open at {@code nowMs} (its quiet period has not elapsed
     * since their latest event). Stream time alone would keep an episode open until the next event
     * arrives, so the wall-clock punctuation passes the later of the two. Reads the tracked
     * episodes only, and forgets those that ended.
     */
    private void reportOpenEpisodes(long nowMs) {
        long cutoffUs = Math.max(nowMs, context.currentStreamTimeMs()) * MICROS_PER_MILLI - detector.quietUs();
        openEpisodes.values().removeIf(latestUs -> latestUs < cutoffUs);
        metrics.openEpisodes(rule.id(), context.taskId().toString(), openEpisodes.size());
    }

    private void trackEpisode(String key, DropBurstState state) {
        if (state.episodeOpen()) {
            openEpisodes.put(key, state.latestUs());
        } else {
            openEpisodes.remove(key);
        }
    }

    // Once per task start, after its store is restored: the only read of every state, so the gauge
    // counts the episodes that were open before a restart or a move to this instance.
    private void loadOpenEpisodes() {
        openEpisodes.clear();
        try (KeyValueIterator<String, DropBurstState> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, DropBurstState> entry = all.next();
                if (entry.value != null && entry.value.episodeOpen()) {
                    openEpisodes.put(entry.key, entry.value.latestUs());
                }
            }
        }
    }

    // The task may move to another instance; what stays behind must not count.
    @Override
    public void close() {
        if (context != null) {
            metrics.openEpisodes(rule.id(), context.taskId().toString(), 0);
        }
    }

    /**
     * Deletes the states of principals quiet for longer than the retention (such a state is
     * equivalent to none at all), reading at most {@link #purgeBatch} states after the previous
     * sweep's last key and starting over at the end of the store.
     */
    private void purgeIdle(long streamTimeMs) {
        long cutoffUs = streamTimeMs * MICROS_PER_MILLI - detector.retentionUs();
        List<String> idle = new ArrayList<>();
        int read = 0;
        String last = null;
        try (KeyValueIterator<String, DropBurstState> batch = store.range(purgeCursor, null)) {
            while (read < purgeBatch && batch.hasNext()) {
                KeyValue<String, DropBurstState> entry = batch.next();
                if (entry.key.equals(purgeCursor)) {
                    continue; // read by the previous sweep
                }
                read++;
                last = entry.key;
                if (entry.value.latestUs() < cutoffUs) {
                    idle.add(entry.key);
                }
            }
        }
        purgeCursor = read < purgeBatch ? null : last;
        for (String key : idle) {
            store.delete(key);
            openEpisodes.remove(key);
        }
        LOG.debug("rule {}: read {} states, purged {} idle principals", rule.id(), read, idle.size());
    }
}
