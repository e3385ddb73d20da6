package dev.firebreak.stage;

import java.time.Duration;
import java.util.List;

/**
 * One stage of the data flow (ingest, detection, kill switch, on-call, export) with one lifecycle,
 * whether it runs alone ({@code firebreak service <stage>}) or beside the others in one JVM (the
 * demo's pipeline). A stage is built by its module's factory from the flat settings; building only
 * reads configuration (a bad key fails there, before anything starts), {@link #start} opens
 * connections and threads.
 */
public interface Stage extends AutoCloseable {

    /** The stage's name as {@code service} spells it: {@code ingest}, {@code detection}, ... */
    String name();

    /**
     * Starts the stage and returns once it is ready (consuming, streaming, serving). A stage not
     * ready within {@code readiness} closes what it started and throws, saying what it waited for.
     *
     * @throws IllegalStateException when it failed to start or was not ready in time
     */
    void start(Duration readiness);

    /** Whether the stage is alive and ready; cheap, for probes polled every second. */
    Health health();

    /** The lines a person watching the start reads, e.g. {@code capture streaming from slot ...}; after {@link #start}. */
    List<String> describe();

    /** Stops everything the stage started; safe to call more than once, and before {@link #start}. */
    @Override
    void close();
}
