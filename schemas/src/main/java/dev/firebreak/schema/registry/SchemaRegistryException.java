package dev.firebreak.schema.registry;

/** The registry could not be reached or answered with an error. */
public class SchemaRegistryException extends RuntimeException {
    private final int status;

    public SchemaRegistryException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** HTTP status, or -1 when no answer was received. */
    public int status() {
        return status;
    }
}
