package dev.firebreak.ingest.preflight;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The decision service and the consumer that keeps its state, started and closed together. */
public final class PreflightRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PreflightRuntime.class);

    private final PreflightService service;
    private final PreflightStateConsumer consumer;

    private PreflightRuntime(PreflightService service, PreflightStateConsumer consumer) {
        this.service = service;
        this.consumer = consumer;
    }

    /**
     * Loads the rules (a bad rule fails here), rebuilds the state from the topics and returns once it
     * is caught up.
     *
     * @param clientProperties bootstrap servers and ingest's Kafka client settings
     */
    public static PreflightRuntime start(PreflightConfig config, Map<String, Object> clientProperties, String registryUrl,
                                         DecisionRecorder recorder) {
        List<DecisionRule> rules = config.loadRules();
        LiveState state = new LiveState(Duration.ofMillis(config.lookbackMs()), Duration.ofMillis(config.episodeOpenMs()));
        PreflightStateConsumer consumer = new PreflightStateConsumer(state, clientProperties, registryUrl,
                Duration.ofMillis(config.lookbackMs()));
        try {
            consumer.start(Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
        LOG.info("pre-flight decisions: {} rules: {}", rules.size(),
                rules.stream().map(r -> r.id() + "=" + r.decision().wire()).toList());
        return new PreflightRuntime(new PreflightService(config, new DecisionEngine(rules), state, recorder), consumer);
    }

    public PreflightService service() {
        return service;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
