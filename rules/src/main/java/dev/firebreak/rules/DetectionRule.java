package dev.firebreak.rules;

import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One detection rule as data: which events count ({@link RuleMatch}), what is measured of them
 * ({@link Measure}), and how much of it within any {@code window} (sliding, both ends inclusive)
 * trips the rule. A rule fires once per burst episode: the episode starts on the event that
 * crosses the threshold and ends after {@code episodeQuiet} without a matching event from that
 * principal. Rules are normally read from YAML by {@link RulesLoader}; validation messages start
 * with the field name ({@code threshold}, {@code episode_quiet}, ...), which the loader prefixes
 * with file and line.
 *
 * @param id               names the rule's processor and store; letters, digits, '.', '_', '-'
 * @param description      what the rule detects, one sentence
 * @param triage           what on-call should check first; carried in the alert summary
 * @param match            which events count
 * @param measure          what of a matching event counts towards the threshold
 * @param threshold        amount within one window that trips the rule
 * @param window           length of the sliding window
 * @param episodeQuiet     quiet time after which an episode ends and a new burst fires again
 * @param grace            how far out of order (by event time) an event may arrive and still count
 * @param severity         severity of the alert
 * @param response         whether a revoke command accompanies the alert
 * @param shadow           report what the rule would do (alert only, marked) and never revoke
 * @param tags             free labels, e.g. mitre or team names
 * @param maturity         how far the rule is trusted
 * @param maxTrackedEvents cap on the entries kept per principal (at most the detection state's entry cap, 128):
 *                         events kept one by one, beyond which adjacent ones are merged (see {@code RuleDetector})
 * @param exceptions       allow-list entries that apply to this rule
 */
public record DetectionRule(String id, String description, String triage, RuleMatch match, Measure measure,
                            long threshold, Duration window, Duration episodeQuiet, Duration grace,
                            Severity severity, Response response, boolean shadow, List<String> tags,
                            Maturity maturity, int maxTrackedEvents, List<RuleException> exceptions) {
    public static final String DEFAULT_ID = "pg-drop-table-burst";
    public static final int DEFAULT_THRESHOLD = 3;
    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(1);
    public static final Duration DEFAULT_EPISODE_QUIET = Duration.ofSeconds(30);
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(2);
    public static final Severity DEFAULT_SEVERITY = Severity.CRITICAL;
    public static final Response DEFAULT_RESPONSE = Response.REVOKE;
    public static final int DEFAULT_MAX_TRACKED_EVENTS = 10_000;
    /**
     * Most object identities a principal's detection state keeps (distinct-object rules), so the
     * most a distinct-object threshold may be. The language owns the bound; the state obeys it.
     */
    public static final int MAX_IDENTITIES = 1024;

    // The id becomes part of a changelog topic name, so it must be a legal topic-name fragment.
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    private static final Duration MIN_WINDOW = Duration.ofMillis(1);
    // Far beyond any sensible rule; bounds the arithmetic on microsecond timestamps.
    private static final Duration MAX_DURATION = Duration.ofDays(1);

    /** Attribute saying where a PostgreSQL statement came from: {@code session} or {@code routine}. */
    public static final String ORIGIN_ATTRIBUTE = "origin";
    /** Attribute naming the routine frame that ran the statement, when origin is routine. */
    public static final String ROUTINE_ATTRIBUTE = "routine";

    /**
     * Whether a revocation may rest on the event: anything but a statement a routine ran (a
     * function, trigger or default expression another role may have planted in the session).
     */
    public static boolean verifiedOrigin(AuditEvent event) {
        return !"routine".equals(event.getAttributes().get(ORIGIN_ATTRIBUTE));
    }

    /** What of a matching event counts towards the threshold. */
    public enum Measure {
        /** Each matching event counts 1. */
        EVENTS,
        /** Objects of the matched object types (all objects when the match names none), CASCADE victims included. */
        OBJECTS,
        /** The event's {@code row_count}. */
        ROWS,
        /** Distinct object identities of the matched types within the window. */
        DISTINCT_OBJECTS,
        /** Rows destroyed: the blast measure blast_rows (held by a dropped or truncated relation), else row_count. */
        ROWS_DESTROYED,
        /** Bytes the dropped or truncated relations held (blast_bytes), as far as they were measured. */
        BYTES_DESTROYED;

        /** Whether one event may carry the whole threshold, so the events kept need not reach it. */
        boolean sumsAmounts() {
            return this == ROWS || this == ROWS_DESTROYED || this == BYTES_DESTROYED;
        }
    }

    /** How far a rule is trusted, as Falco grades its rules. */
    public enum Maturity { STABLE, INCUBATING, SANDBOX, DEPRECATED }

    public DetectionRule {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("id=" + id + " is invalid; allowed: 1 to 100 of A-Z a-z 0-9 . _ -");
        }
        Objects.requireNonNull(match, "match is required");
        Objects.requireNonNull(measure, "measure is required; allowed: events, objects, rows, distinct_objects, rows_destroyed, bytes_destroyed");
        if (threshold < 1) {
            throw new IllegalArgumentException("threshold=" + threshold + " is invalid; allowed: an integer >= 1");
        }
        requireBetween("window", window, MIN_WINDOW);
        requireBetween("grace", grace, Duration.ZERO);
        // A shorter quiet time would end an episode inside a steady burst and re-arm the rule every
        // few events, flooding on-call and the kill switch.
        requireBetween("episode_quiet", episodeQuiet, window);
        Objects.requireNonNull(severity, "severity is required; allowed: INFO, WARNING, HIGH, CRITICAL");
        Objects.requireNonNull(response, "response is required; allowed: ALERT_ONLY, REVOKE");
        Objects.requireNonNull(maturity, "maturity is required; allowed: stable, incubating, sandbox, deprecated");
        // Rows are not events: one DELETE may carry the whole threshold.
        if (!measure.sumsAmounts() && maxTrackedEvents < threshold) {
            throw new IllegalArgumentException("max_tracked_events=" + maxTrackedEvents
                    + " is invalid; allowed: an integer >= threshold (" + threshold + ")");
        }
        // A distinct-object window can only count the identities a principal's state keeps.
        if (measure == Measure.DISTINCT_OBJECTS && threshold > MAX_IDENTITIES) {
            throw new IllegalArgumentException("threshold=" + threshold + " is invalid for measure distinct_objects;"
                    + " allowed: an integer from 1 to " + MAX_IDENTITIES);
        }
        if (maxTrackedEvents < 1) {
            throw new IllegalArgumentException("max_tracked_events=" + maxTrackedEvents
                    + " is invalid; allowed: an integer >= 1");
        }
        tags = List.copyOf(tags == null ? List.of() : tags);
        exceptions = List.copyOf(exceptions == null ? List.of() : exceptions);
    }

    /**
     * The default rule, the same as {@code pg-drop-table-burst} in the bundled rules: 3 or more
     * tables dropped within 1 s revoke the principal. Only DROP commands count: the objects of
     * CREATE or ALTER events were made or changed, and counting them would revoke whoever runs a
     * migration. Neither do tables the principal created in the same session or run, tables swapped
     * out by a rename, nor partitions dropped from a table that lives on (macro {@code valuable}).
     */
    public static DetectionRule defaults() {
        RuleMatch valuable = RuleMatch.builder()
                .blast(new BlastCondition(null, null, null, null, false, false, false, Set.of())).build();
        return new DetectionRule(DEFAULT_ID, "Three or more tables dropped within one second by one principal, not counting "
                + "its own scratch tables, rename swaps or retired partitions.", null,
                RuleMatch.builder().actionRegex("DROP .*").objectTypes(Set.of("table")).and(valuable).build(),
                Measure.OBJECTS, DEFAULT_THRESHOLD, DEFAULT_WINDOW, DEFAULT_EPISODE_QUIET, DEFAULT_GRACE,
                DEFAULT_SEVERITY, DEFAULT_RESPONSE, false, List.of(), Maturity.STABLE, DEFAULT_MAX_TRACKED_EVENTS,
                List.of());
    }

    /** This rule with {@code exceptions} (replacing any it had). */
    public DetectionRule withExceptions(List<RuleException> exceptions) {
        return new DetectionRule(id, description, triage, match, measure, threshold, window, episodeQuiet, grace,
                severity, response, shadow, tags, maturity, maxTrackedEvents, exceptions);
    }

    /** The object types counted: those of the match, empty for any type. */
    public Set<String> objectTypes() {
        return match.objectTypes();
    }

    /** Whether an object of this type counts towards the rule. */
    public boolean counts(String objectType) {
        return match.countsObjectType(objectType);
    }

    /** What the rule does when it trips: shadow rules only ever alert. */
    public Response effectiveResponse() {
        return shadow ? Response.ALERT_ONLY : response;
    }

    /** Whether an active exception covers {@code event} at its own time {@code eventTimeUs}. */
    public boolean excepted(AuditEvent event, String principal, long eventTimeUs) {
        for (RuleException exception : exceptions) {
            if (exception.covers(id, principal, event.getApplicationName(), eventTimeUs)) {
                return true;
            }
        }
        return false;
    }

    /** How much {@code event} adds to the measure; 0 when it does not match or adds nothing. */
    public long weight(AuditEvent event) {
        if (!match.matches(event)) {
            return 0;
        }
        return switch (measure) {
            case EVENTS -> 1;
            case ROWS -> event.getRowCount() == null ? 0 : Math.max(0, event.getRowCount());
            case OBJECTS -> countedObjects(event).size();
            case DISTINCT_OBJECTS -> identities(event).size();
            case ROWS_DESTROYED -> BlastCondition.rowsDestroyed(event);
            case BYTES_DESTROYED -> BlastCondition.bytesDestroyed(event);
        };
    }

    /** Identities of the counted objects of {@code event}, for {@link Measure#DISTINCT_OBJECTS}; else empty. */
    public List<String> identities(AuditEvent event) {
        if (measure != Measure.DISTINCT_OBJECTS) {
            return List.of();
        }
        Set<String> seen = new HashSet<>();
        for (AffectedObject object : countedObjects(event)) {
            seen.add(object.getObjectType().toLowerCase(Locale.ROOT) + ":" + object.getIdentity());
        }
        return seen.stream().sorted().toList();
    }

    private List<AffectedObject> countedObjects(AuditEvent event) {
        return event.getObjects().stream().filter(o -> counts(o.getObjectType())).toList();
    }

    private static void requireBetween(String name, Duration value, Duration min) {
        if (value == null || value.compareTo(min) < 0 || value.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException(name + "=" + value + " is invalid; allowed: a duration from "
                    + min + " to " + MAX_DURATION);
        }
    }
}
