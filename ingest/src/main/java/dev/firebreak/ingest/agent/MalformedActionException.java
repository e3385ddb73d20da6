package dev.firebreak.ingest.agent;

/**
 * An agent action record that cannot be used. The message always names the offending field, so a
 * client (HTTP 4xx) or an operator reading the dead-letter topic can fix the producer.
 */
public final class MalformedActionException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String field;

    /**
     * @param field   the record field at fault (JSON name / column name), never null
     * @param problem what is wrong with it, e.g. "is required"
     */
    public MalformedActionException(String field, String problem) {
        super("field '" + field + "' " + problem);
        this.field = field;
    }

    /** The record field at fault, as the client spells it. */
    public String field() {
        return field;
    }
}
