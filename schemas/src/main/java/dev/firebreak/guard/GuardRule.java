package dev.firebreak.guard;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One guard rule: a statement PostgreSQL itself refuses, inside the statement, before it commits.
 * Read from the {@code guards:} section of the rules files and compiled by ingest into the table
 * {@code firebreak.guard_rule} that the trigger functions read.
 *
 * @param id          unique among rules and guards; named by refusals and by exceptions
 * @param description what it refuses, one sentence
 * @param kind        what it judges
 * @param mode        enforce (refuse) or shadow (record what it would have refused)
 * @param threshold   relations (statement_drops, drop_rate), tables (truncate) or columns (column_drop);
 *                    1 for row_change
 * @param minRows     rows a table must hold for the rule to apply (row_change, column_drop) or to
 *                    refuse a TRUNCATE of it alone (truncate); 0 for none
 * @param fraction    share of a table's rows a DELETE/UPDATE may touch (row_change only), else null
 * @param window      how far back a principal's drops are counted (drop_rate only), else null
 * @param tags        free labels
 * @param spare       relations the rule does not count, by blast measure: {@code created_by_same_principal}
 *                    (in the same session or run), {@code replaced} (rename swap), {@code partition} (of a
 *                    table that lives on); statement_drops and drop_rate take all three, truncate and
 *                    row_change only the first
 */
public record GuardRule(String id, String description, Kind kind, Mode mode, long threshold, long minRows,
                        Double fraction, Duration window, List<String> tags, List<String> spare) {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    /** What {@code spare} may name, per kind. */
    public static final List<String> SPARE_ALL = List.of("created_by_same_principal", "replaced", "partition");

    /** What a guard rule judges. */
    public enum Kind {
        /** One statement dropping at least {@code threshold} relations, CASCADE victims and partitions included. */
        STATEMENT_DROPS,
        /** One TRUNCATE reaching at least {@code threshold} tables, or a table holding at least {@code minRows} rows. */
        TRUNCATE,
        /** A DELETE or UPDATE touching at least {@code fraction} of a table holding at least {@code minRows} rows. */
        ROW_CHANGE,
        /** An ALTER TABLE dropping at least {@code threshold} columns of a table holding at least {@code minRows} rows. */
        COLUMN_DROP,
        /** More than {@code threshold} relations dropped by one principal within {@code window}, across its sessions. */
        DROP_RATE;

        /** The name the YAML and the database use. */
        public String sqlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Whether a broken rule refuses the statement or only records that it would have. */
    public enum Mode { ENFORCE, SHADOW }

    public GuardRule {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("id=" + id + " is invalid; allowed: 1 to 100 of A-Z a-z 0-9 . _ -");
        }
        if (description == null || description.isBlank()) {
            throw new IllegalArgumentException("description is required");
        }
        Objects.requireNonNull(kind, "kind is required; allowed: statement_drops, truncate, row_change, column_drop, drop_rate");
        Objects.requireNonNull(mode, "mode is required; allowed: enforce, shadow");
        if (threshold < 1) {
            throw new IllegalArgumentException("threshold=" + threshold + " is invalid; allowed: 1 or more");
        }
        if (minRows < 0) {
            throw new IllegalArgumentException("min_rows=" + minRows + " is invalid; allowed: 0 or more");
        }
        if ((kind == Kind.ROW_CHANGE) != (fraction != null)) {
            throw new IllegalArgumentException("fraction is " + (fraction == null ? "required" : "only allowed") + " for row_change");
        }
        if (fraction != null && !(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction=" + fraction + " is invalid; allowed: more than 0, at most 1");
        }
        if ((kind == Kind.DROP_RATE) != (window != null)) {
            throw new IllegalArgumentException("window is " + (window == null ? "required" : "only allowed") + " for drop_rate");
        }
        if (window != null && (window.toMillis() < 1 || window.compareTo(Duration.ofHours(1)) > 0)) {
            throw new IllegalArgumentException("window=" + window + " is invalid; allowed: 1ms to 1h");
        }
        tags = List.copyOf(tags == null ? List.of() : tags);
        spare = List.copyOf(spare == null ? List.of() : spare);
        List<String> allowed = kind == Kind.STATEMENT_DROPS || kind == Kind.DROP_RATE ? SPARE_ALL
                : kind == Kind.COLUMN_DROP ? List.of() : List.of("created_by_same_principal");
        for (String s : spare) {
            if (!allowed.contains(s)) {
                throw new IllegalArgumentException("spare '" + s + "' is invalid for " + kind.sqlName() + "; allowed: "
                        + (allowed.isEmpty() ? "none" : String.join(", ", allowed)));
            }
        }
    }

    /** A rule that spares nothing. */
    public GuardRule(String id, String description, Kind kind, Mode mode, long threshold, long minRows,
                     Double fraction, Duration window, List<String> tags) {
        this(id, description, kind, mode, threshold, minRows, fraction, window, tags, List.of());
    }
}
