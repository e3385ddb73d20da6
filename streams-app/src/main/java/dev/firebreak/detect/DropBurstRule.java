package dev.firebreak.detect;

import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A burst of dropped objects by one principal: at least {@code threshold} objects of the given
 * types dropped within any {@code window} (sliding, both ends inclusive). Objects are counted, not
 * statements, so one {@code DROP SCHEMA ... CASCADE} that takes 200 tables counts 200.
 *
 * <p>A rule fires once per burst episode: the episode starts on the event that crosses the
 * threshold and ends after {@code episodeQuiet} without a matching event from that principal.
 * Validation messages start with the property name as spelled in the configuration key
 * ({@code threshold}, {@code episode.quiet}, ...).
 *
 * @param id               names the rule's processor and store; letters, digits, '.', '_', '-'
 * @param objectTypes      object types counted, as {@code pg_event_trigger_dropped_objects} spells them
 * @param threshold        objects within one window that trip the rule
 * @param window           length of the sliding window
 * @param episodeQuiet     quiet time after which an episode ends and a new burst fires again
 * @param grace            how far out of order (by event time) an event may arrive and still count
 * @param severity         severity of the alert
 * @param response         whether a revoke command accompanies the alert
 * @param maxTrackedEvents cap on the events kept per principal, so a flood cannot exhaust memory
 */
public record DropBurstRule(String id, Set<String> objectTypes, int threshold, Duration window,
                            Duration episodeQuiet, Duration grace, Severity severity, Response response,
                            int maxTrackedEvents) {
    public static final String DEFAULT_ID = "pg-drop-table-burst";
    public static final Set<String> DEFAULT_OBJECT_TYPES = Set.of("table");
    public static final int DEFAULT_THRESHOLD = 3;
    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(1);
    public static final Duration DEFAULT_EPISODE_QUIET = Duration.ofSeconds(30);
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(2);
    public static final Severity DEFAULT_SEVERITY = Severity.CRITICAL;
    public static final Response DEFAULT_RESPONSE = Response.REVOKE;
    public static final int DEFAULT_MAX_TRACKED_EVENTS = 10_000;

    // The id becomes part of a changelog topic name, so it must be a legal topic-name fragment.
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    private static final Duration MIN_WINDOW = Duration.ofMillis(1);
    // Far beyond any sensible rule; bounds the arithmetic on microsecond timestamps.
    private static final Duration MAX_DURATION = Duration.ofDays(1);

    public DropBurstRule {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("id=" + id + " is invalid; allowed: 1 to 100 of A-Z a-z 0-9 . _ -");
        }
        objectTypes = normalise(objectTypes);
        if (threshold < 1) {
            throw new IllegalArgumentException("threshold=" + threshold + " is invalid; allowed: an integer >= 1");
        }
        requireBetween("window", window, MIN_WINDOW);
        requireBetween("grace", grace, Duration.ZERO);
        // A shorter quiet time would end an episode inside a steady burst and re-arm the rule every
        // few events, flooding on-call and the kill switch.
        requireBetween("episode.quiet", episodeQuiet, window);
        Objects.requireNonNull(severity, "severity is required; allowed: INFO, WARNING, HIGH, CRITICAL");
        Objects.requireNonNull(response, "response is required; allowed: ALERT_ONLY, REVOKE");
        if (maxTrackedEvents < threshold) {
            throw new IllegalArgumentException("max.tracked.events=" + maxTrackedEvents
                    + " is invalid; allowed: an integer >= threshold (" + threshold + ")");
        }
    }

    /** The default rule: 3 or more tables dropped within 1 s revoke the principal. */
    public static DropBurstRule defaults() {
        return new DropBurstRule(DEFAULT_ID, DEFAULT_OBJECT_TYPES, DEFAULT_THRESHOLD, DEFAULT_WINDOW,
                DEFAULT_EPISODE_QUIET, DEFAULT_GRACE, DEFAULT_SEVERITY, DEFAULT_RESPONSE, DEFAULT_MAX_TRACKED_EVENTS);
    }

    /** Whether an object of this type counts towards the rule. */
    public boolean counts(String objectType) {
        return objectType != null && objectTypes.contains(objectType.toLowerCase(Locale.ROOT));
    }

    private static Set<String> normalise(Set<String> types) {
        if (types == null || types.isEmpty() || types.stream().anyMatch(t -> t == null || t.isBlank())) {
            throw new IllegalArgumentException("object.types=" + types
                    + " is invalid; allowed: a non-empty list of object types, e.g. table, view, index");
        }
        return types.stream().map(t -> t.trim().toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    private static void requireBetween(String name, Duration value, Duration min) {
        if (value == null || value.compareTo(min) < 0 || value.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException(name + "=" + value + " is invalid; allowed: a duration from "
                    + min + " to " + MAX_DURATION);
        }
    }
}
