package dev.firebreak.ingest.postgres;

import dev.firebreak.ingest.metrics.DeadLetterReason;

/** A captured message Firebreak cannot turn into an audit event; the message says why, the code says what kind. */
public final class MalformedMessageException extends Exception {
    private final DeadLetterReason code;

    public MalformedMessageException(DeadLetterReason code, String reason) {
        super(reason);
        this.code = code;
    }

    public MalformedMessageException(DeadLetterReason code, String reason, Throwable cause) {
        super(reason, cause);
        this.code = code;
    }

    /** The kind of problem, the {@code reason} label of the dead-letter metric. */
    public DeadLetterReason code() {
        return code;
    }
}
