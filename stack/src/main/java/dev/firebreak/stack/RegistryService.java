package dev.firebreak.stack;

/** A running schema registry speaking the Confluent REST API. */
public interface RegistryService extends AutoCloseable {

    /** Base URL of the Confluent-compatible API, e.g. {@code http://127.0.0.1:8080/apis/ccompat/v7}. */
    String confluentUrl();

    /** For progress lines: what it is and where. */
    String describe();

    @Override
    void close();
}
