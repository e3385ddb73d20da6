package dev.firebreak.config;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * A {@link ConfigDef.Validator} whose refusal names the key, the value and what is allowed, in the
 * house's words ({@code invalid firebreak.ingest.pg.port=0; allowed: 1..65535}), and whose
 * {@link #toString()} is the "valid values" column of the settings reference. Kafka's own validators
 * say the same less directly ("Value must be at least 1"), and the stages' messages predate them.
 *
 * <p>A config record that names every problem of a file in one message (the kill switch's) checks the
 * same validator again with {@link #check(List, String, long)}, so that a programmatically built record
 * is held to it too: the range is declared once, shown in the reference, enforced in both places.
 */
public final class Allowed implements ConfigDef.Validator {
    /** How a refusal is worded; three wordings exist because tests and runbooks quote each. */
    public enum Wording {
        /** {@code invalid <key>=<value>; allowed: <allowed>} */
        INVALID_FIRST,
        /** {@code <key>=<value> is invalid; allowed: <allowed>} */
        INVALID_AFTER,
        /** {@code <key> must be <allowed>, was <value>}: the kill switch's, on-call's and export's wording */
        MUST_BE
    }
    private static final String MILLIS = " (milliseconds)";

    private final String allowed;
    private final Predicate<Object> test;
    private final BiFunction<String, Object, String> refusal;
    private final BiFunction<String, Object, String> wrongType;

    private Allowed(String allowed, Predicate<Object> test, BiFunction<String, Object, String> refusal,
                    BiFunction<String, Object, String> wrongType) {
        this.allowed = allowed;
        this.test = test;
        this.refusal = refusal;
        this.wrongType = wrongType;
    }

    /** Any value {@code test} accepts; {@code allowed} says which in words. Null (unset) always passes. */
    public static Allowed of(String allowed, Predicate<Object> test) {
        return new Allowed(allowed, test, (k, v) -> "invalid " + k + "=" + v + "; allowed: " + allowed, null);
    }

    /** A whole number (INT or LONG) in {@code min..max}. */
    public static Allowed range(long min, long max) {
        return of(min + ".." + max, v -> ((Number) v).longValue() >= min && ((Number) v).longValue() <= max);
    }

    /** A whole number at least {@code min}. */
    public static Allowed atLeast(long min) {
        return of(">= " + min, v -> ((Number) v).longValue() >= min);
    }

    /** A whole number of milliseconds in {@code min..max}, worded {@link Wording#MUST_BE}: {@code k must be 1..10 (milliseconds), was 0}. */
    public static Allowed millis(long min, long max) {
        return between(min, max, MILLIS);
    }

    /** A whole number in {@code min..max}, worded {@link Wording#MUST_BE}: {@code k must be 1..20, was 21}. */
    public static Allowed between(long min, long max) {
        return between(min, max, "");
    }

    private static Allowed between(long min, long max, String unit) {
        return of(min + ".." + max + unit, v -> ((Number) v).longValue() >= min && ((Number) v).longValue() <= max)
                .worded(Wording.MUST_BE);
    }

    /** One of {@code values}, exactly (after trimming, which ConfigDef does). */
    public static Allowed oneOf(Collection<String> values) {
        List<String> copy = List.copyOf(values);
        return of(String.join(", ", copy), copy::contains);
    }

    /** A string matching {@code pattern} entirely. */
    public static Allowed matching(Pattern pattern, String allowed) {
        return of(allowed, v -> pattern.matcher(v.toString()).matches());
    }

    /** Every non-blank element of a LIST matches {@code pattern} (blank ones, as in {@code a,,b}, are dropped by the reader). */
    public static Allowed eachMatching(Pattern pattern, String allowed) {
        return of(allowed, v -> ((List<?>) v).stream().map(e -> e.toString().trim()).filter(e -> !e.isEmpty())
                .allMatch(e -> pattern.matcher(e).matches()));
    }

    /** The same check with the other wording. */
    public Allowed worded(Wording wording) {
        return switch (wording) {
            case INVALID_FIRST -> of(allowed, test);
            case INVALID_AFTER -> saying((k, v) -> k + "=" + v + " is invalid; allowed: " + allowed);
            case MUST_BE -> saying((k, v) -> k + " must be " + allowed + ", was " + v);
        };
    }

    /** The same check with its own refusal, from the key and the value. */
    public Allowed saying(BiFunction<String, Object, String> message) {
        return new Allowed(allowed, test, message, wrongType);
    }

    /** The same check, with its own refusal for a value that is not even of the key's type. */
    public Allowed whenNotOfType(BiFunction<String, Object, String> message) {
        return new Allowed(allowed, test, refusal, message);
    }

    /** Whether {@code value}, already of the key's type, is allowed. */
    public boolean accepts(Object value) {
        return value == null || test.test(value);
    }

    /** Adds the refusal of {@code key=value} to {@code errors} when the value is not allowed. */
    public void check(List<String> errors, String key, long value) {
        if (!test.test(value)) {
            errors.add(refusal(key, value));
        }
    }

    /** As {@link #check(List, String, long)} for a duration, checked in milliseconds; null is refused. */
    public void check(List<String> errors, String key, Duration value) {
        if (value == null) {
            errors.add(refusal(key, "null"));
        } else {
            check(errors, key, value.toMillis());
        }
    }

    /** What is allowed, in words. */
    public String allowed() {
        return allowed;
    }

    @Override
    public void ensureValid(String name, Object value) {
        if (value != null && !test.test(value)) {
            throw new ConfigException(refusal(name, value));
        }
    }

    /** The refusal for {@code name=value}. */
    public String refusal(String name, Object value) {
        return refusal.apply(name, value);
    }

    /** The refusal for {@code name=value} when the value is not of the key's type (not a number, ...). */
    public String typeRefusal(String name, Object value) {
        return wrongType == null ? refusal(name, value) : wrongType.apply(name, value);
    }

    @Override
    public String toString() {
        return allowed;
    }
}
