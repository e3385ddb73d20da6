package dev.firebreak.config;

import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * An inclusive whole-number range, declared once: the {@link ConfigDef} shows it in the settings
 * reference and {@code Settings.parse} enforces it, and the config record checks the same range with
 * {@link #check}, so that a programmatically built config is held to it too and every problem of a
 * file is named in one message rather than the first one only.
 *
 * @param min  smallest allowed value
 * @param max  largest allowed value
 * @param unit appended to the range in messages, e.g. {@code " (milliseconds)"}, or empty
 */
public record Bounds(long min, long max, String unit) implements ConfigDef.Validator {
    private static final String MILLIS = " (milliseconds)";

    /** A range of milliseconds. */
    public static Bounds millis(long min, long max) {
        return new Bounds(min, max, MILLIS);
    }

    /** A range of plain counts. */
    public static Bounds of(long min, long max) {
        return new Bounds(min, max, "");
    }

    /** {@code key must be min..max unit, was value}: the wording every alerting config used before. */
    public String refusal(String key, Object value) {
        return key + " must be " + min + ".." + max + unit + ", was " + value;
    }

    /** Adds the refusal to {@code errors} when {@code value} is outside the range. */
    public void check(List<String> errors, String key, long value) {
        if (value < min || value > max) {
            errors.add(refusal(key, value));
        }
    }

    /** As {@link #check(List, String, long)} for a duration in milliseconds; null is refused. */
    public void check(List<String> errors, String key, Duration value) {
        if (value == null) {
            errors.add(refusal(key, "null"));
        } else {
            check(errors, key, value.toMillis());
        }
    }

    @Override
    public void ensureValid(String name, Object value) {
        if (value instanceof Number n && (n.longValue() < min || n.longValue() > max)) {
            throw new ConfigException(refusal(name, n.longValue()));
        }
    }

    @Override
    public String toString() {
        return min + ".." + max + unit;
    }
}
