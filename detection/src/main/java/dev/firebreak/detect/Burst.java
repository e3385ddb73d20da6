package dev.firebreak.detect;

import dev.firebreak.detect.DropBurstState.TrackedEvent;
import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.RevokeCommand;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A window that crossed a rule's threshold, and the event that made it cross.
 *
 * @param episodeId deterministic id of the episode the burst opens: a replay yields the same id
 * @param principal who dropped the objects
 * @param window    the counted entries (events, or aggregates of them: see {@link RuleDetector}), ordered by event time
 * @param trigger   the event that crossed the threshold (one of {@code window})
 * @param observed  the rule's measure over the window (events, objects, rows or distinct objects)
 */
record Burst(String episodeId, String principal, List<TrackedEvent> window, TrackedEvent trigger, long observed) {
    static final int MAX_SAMPLE_STATEMENTS = 5;

    Burst {
        window = List.copyOf(window);
    }

    static String episodeId(DetectionRule rule, String principal, TrackedEvent first) {
        return rule.id() + "/" + principal + "/" + first.eventId();
    }

    long startUs() {
        return window.get(0).timeUs();
    }

    long endUs() {
        return window.get(window.size() - 1).lastUs();
    }

    /** The alert; {@code createdUs} comes from the trigger event because the topology reads no clock. */
    Alert toAlert(DetectionRule rule, long createdUs, String owner) {
        return Alert.newBuilder()
                .setAlertId(episodeId)
                .setKind(AlertKind.RULE_TRIGGERED)
                .setSeverity(rule.severity())
                .setRuleId(rule.id())
                .setPrincipal(principal)
                .setOwner(owner)
                .setSummary(summary(rule))
                .setResponse(rule.effectiveResponse())
                .setWindowStartUs(startUs())
                .setWindowEndUs(endUs())
                .setObserved(observed)
                .setThreshold(rule.threshold())
                .setFirstEventId(window.get(0).eventId())
                .setTriggerEventId(trigger.eventId())
                .setRecoveryLsn(recoveryLsn())
                .setRecoveryTimeUs(recoveryPoint().timeUs())
                .setSampleStatements(sampleStatements())
                .setBackendPids(backendPids())
                .setCreatedTimeUs(createdUs)
                .setTriggerEventTimeUs(trigger.timeUs())
                .setTriage(rule.triage())
                .setTags(rule.tags())
                .build();
    }

    /** The revoke command; its id equals the alert's so the kill switch can link the two. */
    RevokeCommand toRevokeCommand(DetectionRule rule, long issuedUs, List<String> targets) {
        return RevokeCommand.newBuilder()
                .setCommandId(episodeId)
                .setRuleId(rule.id())
                .setPrincipal(principal)
                .setTargets(targets)
                .setBackendPids(backendPids())
                .setWindowStartUs(startUs())
                .setWindowEndUs(endUs())
                .setTriggerEventId(trigger.eventId())
                .setTriggerEventTimeUs(trigger.timeUs())
                .setIssuedTimeUs(issuedUs)
                .setDryRun(false)
                .build();
    }

    // The smallest WAL position, not the first by event time: that is where a restore must start.
    private Long recoveryLsn() {
        return recoveryPoint().lsn();
    }

    /**
     * The counted entry with the smallest WAL position; the first by time when none has one. Its time is
     * that of the entry's first event: for an aggregate, no later than the event with that position.
     */
    private TrackedEvent recoveryPoint() {
        return window.stream().filter(e -> e.lsn() != null).min(java.util.Comparator.comparingLong(TrackedEvent::lsn))
                .orElse(window.get(0));
    }

    private List<String> sampleStatements() {
        return window.stream().map(TrackedEvent::statement).filter(Objects::nonNull)
                .distinct().limit(MAX_SAMPLE_STATEMENTS).toList();
    }

    private List<Integer> backendPids() {
        return window.stream().flatMap(e -> e.backendPids().stream()).distinct().toList();
    }

    /**
     * E.g. {@code pg:prod/alice: 3 table objects within 0.800 s (rule pg-drop-table-burst: 3 within PT1S)};
     * a shadow rule's summary starts with {@code [shadow]} and says what it would have done.
     */
    String summary(DetectionRule rule) {
        StringBuilder s = new StringBuilder();
        if (rule.shadow()) {
            s.append(rule.response() == dev.firebreak.schema.Response.REVOKE
                    ? "[shadow] would revoke: " : "[shadow] would alert: ");
        }
        s.append(String.format(Locale.ROOT, "%s: %d %s within %.3f s (rule %s: %d within %s)",
                principal, observed, unit(rule), (endUs() - startUs()) / 1e6, rule.id(), rule.threshold(),
                rule.window()));
        if (rule.triage() != null && !rule.triage().isBlank()) {
            s.append(". Triage: ").append(rule.triage().strip());
        }
        return s.toString();
    }

    private static String unit(DetectionRule rule) {
        String types = rule.objectTypes().isEmpty() ? ""
                : String.join("/", rule.objectTypes().stream().sorted().toList()) + " ";
        return switch (rule.measure()) {
            case EVENTS -> "events";
            case ROWS -> "rows";
            case OBJECTS -> types + "objects";
            case DISTINCT_OBJECTS -> "distinct " + types + "objects";
            case ROWS_DESTROYED -> "rows destroyed";
            case BYTES_DESTROYED -> "bytes destroyed";
        };
    }
}
