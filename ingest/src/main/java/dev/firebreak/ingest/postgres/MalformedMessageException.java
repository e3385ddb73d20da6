package dev.firebreak.ingest.postgres;

/** A captured message Firebreak cannot turn into an audit event; the message says why. */
public final class MalformedMessageException extends Exception {
    public MalformedMessageException(String reason) {
        super(reason);
    }

    public MalformedMessageException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
