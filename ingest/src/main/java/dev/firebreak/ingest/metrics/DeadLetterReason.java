package dev.firebreak.ingest.metrics;

import java.util.Locale;

/**
 * Why ingest sent something to the dead-letter topic, as the {@code reason} label (a fixed set of
 * short codes; the full text stays in the dead letter itself).
 */
public enum DeadLetterReason {
    /** Not JSON, not an object, empty. */
    PARSE_ERROR,
    /** A required field is absent or empty. */
    MISSING_FIELD,
    /** A field has the wrong type or an impossible value. */
    BAD_FIELD,
    /** The agent or credential does not form a valid principal. */
    BAD_PRINCIPAL,
    /** A message format version this ingest does not read. */
    UNSUPPORTED_VERSION,
    /** A change operation on the agent action table that is not an action. */
    UNSUPPORTED_OPERATION,
    /** TRUNCATE of the agent action log: no row says whose actions were erased. */
    TRUNCATE_OF_LOG,
    /** A field over its size limit. */
    OVERSIZED,
    /** A bug of ours; the dead letter carries the exception. */
    INTERNAL_ERROR;

    /** The label value, e.g. {@code missing_field}. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}
