package dev.firebreak.ingest.preflight;

import java.util.Locale;

/** What a pre-flight decision answers. */
public enum Decision {
    /** Go ahead. */
    ALLOW,
    /** Do not; the attempt is recorded and counts in the principal's windows. */
    DENY,
    /** A human must approve first; the client waits within a deadline. */
    ASK;

    /** The lower-case form used in rule files and on the wire. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
