package dev.firebreak.rules;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * An allow-list entry: events of matching principals (and application names) are not counted by
 * the rule while the entry is active. Judged by the event's own time, never a clock, so the
 * topology stays a pure function of its input.
 *
 * @param rule            a rule id, or {@code *} for every rule
 * @param principal       exact principal or a glob ({@code *} any characters, {@code ?} one)
 * @param applicationName glob over the event's application_name, or null for any
 * @param from            start of a maintenance window (inclusive), or null
 * @param until           end of a maintenance window (exclusive), or null
 * @param reason          why the exception exists; required
 * @param expires         when the exception stops applying, whatever the window says; required
 * @param source          where it was defined (file:line), for logs
 */
public record RuleException(String rule, String principal, String applicationName, Instant from, Instant until,
                            String reason, Instant expires, String source) {
    public static final String ANY_RULE = "*";

    public RuleException {
        if (rule == null || rule.isBlank()) {
            throw new IllegalArgumentException("rule is required; allowed: a rule id or *");
        }
        if (principal == null || principal.isBlank()) {
            throw new IllegalArgumentException("principal is required; allowed: a principal or a glob such as pg:prod/etl_*");
        }
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("reason is required");
        }
        Objects.requireNonNull(expires, "expires is required; allowed: an ISO instant such as 2026-12-31T00:00:00Z");
        if (from != null && until != null && !until.isAfter(from)) {
            throw new IllegalArgumentException("until=" + until + " is invalid; allowed: an instant after from (" + from + ")");
        }
    }

    /** Whether this exception applies to {@code ruleId} at all. */
    public boolean appliesTo(String ruleId) {
        return ANY_RULE.equals(rule) || rule.equals(ruleId);
    }

    /** Whether it has expired by {@code now}; expired entries never apply. */
    public boolean expiredAt(Instant now) {
        return !now.isBefore(expires);
    }

    /** Whether it exempts an event of {@code principal} with {@code applicationName} at {@code eventTimeUs}. */
    public boolean covers(String ruleId, String principal, String applicationName, long eventTimeUs) {
        if (!appliesTo(ruleId) || !glob(this.principal).matcher(principal).matches()) {
            return false;
        }
        if (this.applicationName != null
                && (applicationName == null || !glob(this.applicationName).matcher(applicationName).matches())) {
            return false;
        }
        long expiresUs = micros(expires);
        if (eventTimeUs >= expiresUs) {
            return false;
        }
        return (from == null || eventTimeUs >= micros(from)) && (until == null || eventTimeUs < micros(until));
    }

    private static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }

    // Compiled once per glob: exceptions are checked on the event path.
    private static final Map<String, Pattern> GLOBS = new ConcurrentHashMap<>();

    public static Pattern glob(String glob) {
        return GLOBS.computeIfAbsent(glob, RuleException::compileGlob);
    }

    private static Pattern compileGlob(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }
}
