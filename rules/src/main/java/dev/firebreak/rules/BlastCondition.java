package dev.firebreak.rules;

import dev.firebreak.schema.AuditEvent;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Conditions on what an event destroyed, read from the blast attributes PostgreSQL measured at the
 * moment of destruction (documented in the header of rules/firebreak.yaml). Every condition given
 * must hold; an unset one matches everything. Where a measure is missing the condition errs towards
 * "valuable": an unknown age is older than the install, an unknown creator is someone else, and a
 * missing flag is false. Conditions a missing measure cannot satisfy (min_bytes, min_fraction,
 * shape) do not match.
 *
 * @param minRows                rows destroyed ({@code blast_rows}, else the event's row_count) at least this
 * @param minBytes               bytes the destroyed relations held ({@code blast_bytes}) at least this
 * @param minFraction            share of the table destroyed ({@code blast_fraction}) at least this
 * @param minAge                 the oldest destroyed relation ({@code blast_age_s}) at least this old
 * @param createdBySamePrincipal whether every destroyed relation was created by this principal in the
 *                               same session or run ({@code blast_created})
 * @param replaced               whether every dropped relation had just been replaced by a rename swap
 * @param partition              whether every dropped relation was a partition of a table that lives on
 * @param shapes                 the DELETE/UPDATE's shape ({@code statement_shape}) is one of these
 */
public record BlastCondition(Long minRows, Long minBytes, Double minFraction, Duration minAge,
                             Boolean createdBySamePrincipal, Boolean replaced, Boolean partition, Set<String> shapes) {
    /** Shapes a rule may name. */
    public static final List<String> SHAPES = List.of("no_where", "tautology", "filtered");

    public BlastCondition {
        shapes = shapes == null ? Set.of() : Set.copyOf(new TreeSet<>(shapes));
        for (String shape : shapes) {
            if (!SHAPES.contains(shape)) {
                throw new IllegalArgumentException("shape '" + shape + "' is invalid; allowed: " + String.join(", ", SHAPES));
            }
        }
        if (minRows != null && minRows < 0 || minBytes != null && minBytes < 0) {
            throw new IllegalArgumentException("min_rows/min_bytes must be 0 or more");
        }
        if (minFraction != null && !(minFraction >= 0 && minFraction <= 1)) {
            throw new IllegalArgumentException("min_fraction=" + minFraction + " is invalid; allowed: 0 to 1");
        }
    }

    /** Whether the event meets every condition given. */
    public boolean matches(AuditEvent event) {
        Map<String, String> a = event.getAttributes();
        if (minRows != null && rowsDestroyed(event) < minRows) {
            return false;
        }
        if (minBytes != null && number(a.get("blast_bytes"), -1) < minBytes) {
            return false;
        }
        if (minFraction != null && fraction(a.get("blast_fraction")) < minFraction) {
            return false;
        }
        if (minAge != null) {
            long age = number(a.get("blast_age_s"), Long.MAX_VALUE);
            if (age < minAge.toSeconds()) {
                return false;
            }
        }
        if (createdBySamePrincipal != null && createdBySamePrincipal != isOwn(a.get("blast_created"))) {
            return false;
        }
        if (replaced != null && replaced != "true".equals(a.get("blast_replaced"))) {
            return false;
        }
        if (partition != null && partition != "true".equals(a.get("blast_partition"))) {
            return false;
        }
        return shapes.isEmpty() || shapes.contains(String.valueOf(a.get("statement_shape")).toLowerCase(Locale.ROOT));
    }

    /** Rows the event destroyed: PostgreSQL's blast measure, else the statement's row count. */
    public static long rowsDestroyed(AuditEvent event) {
        long measured = number(event.getAttributes().get("blast_rows"), -1);
        if (measured >= 0) {
            return measured;
        }
        return event.getRowCount() == null ? 0 : Math.max(0, event.getRowCount());
    }

    /** Bytes the relations the event destroyed held, as far as they were measured. */
    public static long bytesDestroyed(AuditEvent event) {
        return Math.max(0, number(event.getAttributes().get("blast_bytes"), 0));
    }

    private static boolean isOwn(String created) {
        return "session".equals(created) || "run".equals(created);
    }

    // An unreadable number counts as missing: attributes are bounded strings, never trusted to parse.
    private static long number(String value, long missing) {
        if (value == null) {
            return missing;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return missing;
        }
    }

    private static double fraction(String value) {
        if (value == null) {
            return -1;
        }
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A canonical description, part of the match's. */
    @Override
    public String toString() {
        Map<String, Object> parts = new LinkedHashMap<>();
        put(parts, "min_rows", minRows);
        put(parts, "min_bytes", minBytes);
        put(parts, "min_fraction", minFraction);
        put(parts, "min_age", minAge);
        put(parts, "created_by_same_principal", createdBySamePrincipal);
        put(parts, "replaced", replaced);
        put(parts, "partition", partition);
        if (!shapes.isEmpty()) {
            parts.put("shape", new TreeSet<>(shapes));
        }
        return parts.toString();
    }

    private static void put(Map<String, Object> parts, String key, Object value) {
        if (value != null) {
            parts.put(key, value);
        }
    }
}
