package dev.firebreak.detect;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the detection topology against Kafka: the one place where the detection stage does I/O.
 * Kafka Streams' own metrics are bound to the given Micrometer registry.
 */
public final class DetectionService implements AutoCloseable {
    /** How long {@link #close()} waits for in-flight records and state to be flushed. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private static final Logger LOG = LoggerFactory.getLogger(DetectionService.class);

    private final KafkaStreams streams;
    private final KafkaStreamsMetrics metrics;

    /** Builds the topology and the Kafka Streams client; nothing connects until {@link #start()}. */
    public DetectionService(DetectionConfig config, MeterRegistry meterRegistry) {
        Topology topology = DetectionTopology.build(config.rules(), DetectionSerdes.forRegistry(config.schemaRegistryUrl()),
                config.baselines() ? Baseline.BaselineSettings.DEFAULTS : null);
        LOG.info("detection topology for {}:\n{}", config.applicationId(), topology.describe());
        this.streams = new KafkaStreams(topology, config.toStreamsProperties());
        streams.setStateListener((to, from) -> LOG.info("detection {} -> {}", from, to));
        // A dead stream thread would silently stop detection for its partitions; a fresh thread
        // resumes from the last commit and the deterministic ids absorb the replay.
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("detection stream thread failed; replacing it", e);
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        this.metrics = new KafkaStreamsMetrics(streams);
        metrics.bindTo(meterRegistry);
    }

    /** Starts consuming; returns at once, see {@link #state()}. */
    public void start() {
        streams.start();
    }

    /** The Kafka Streams state: CREATED, REBALANCING, RUNNING, ... */
    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Stops within {@code timeout}; false if it could not finish in time. */
    public boolean close(Duration timeout) {
        metrics.close();
        boolean closed = streams.close(timeout);
        if (!closed) {
            LOG.warn("detection did not stop within {}", timeout);
        }
        return closed;
    }

    @Override
    public void close() {
        close(DEFAULT_CLOSE_TIMEOUT);
    }
}
