package dev.firebreak.schema.registry;

/**
 * The registry could not be reached or answered with an error. {@link #registryUnavailable()}
 * separates an outage (retry later, the record is fine) from an answer about the data (a 404 for
 * an unknown schema id, a 409/422 for a schema it refuses), which no retry changes.
 */
public class SchemaRegistryException extends RuntimeException {
    /** {@link #status()} when no HTTP answer was received (connection refused, reset, timed out). */
    public static final int NO_ANSWER = -1;
    /** {@link #status()} when the TLS handshake failed: a trust problem, not an outage, so never retried. */
    public static final int TLS_FAILED = -2;

    private final int status;

    public SchemaRegistryException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** HTTP status, {@link #NO_ANSWER} when no answer was received, {@link #TLS_FAILED} when TLS failed. */
    public int status() {
        return status;
    }

    /**
     * True when the registry did not answer about the data at all: no answer (connection refused,
     * timeout, reset), a 5xx, 408 (request timeout) or 429 (too many requests). Such a failure says
     * nothing about the record; callers retry it and never dead-letter or skip the record for it.
     */
    public boolean registryUnavailable() {
        return status == NO_ANSWER || status == 408 || status == 429 || status / 100 == 5;
    }

    /** Whether {@code failure} or any of its causes is a {@link #registryUnavailable() registry outage}. */
    public static boolean isRegistryUnavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SchemaRegistryException e && e.registryUnavailable()) {
                return true;
            }
        }
        return false;
    }
}
