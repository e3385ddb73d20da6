package dev.firebreak.detect;

import dev.firebreak.config.Settings;
import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.registry.RegistryOutage;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.stage.Health;
import dev.firebreak.stage.Readiness;
import dev.firebreak.stage.Stage;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Detection as a {@link Stage}: registers the pipeline's schemas (an unavailable registry is waited
 * for, with a WARN while it lasts, within the readiness deadline), starts Kafka Streams and is
 * ready once it is {@code RUNNING}. The one place that builds a {@link DetectionService} from settings.
 */
public final class DetectionStage implements Stage {
    /** The stage's name, as {@code service} spells it. */
    public static final String NAME = "detection";
    private final DetectionConfig config;
    private final MeterRegistry meters;
    private DetectionService service;
    private boolean started;
    private boolean closed;

    private DetectionStage(DetectionConfig config, MeterRegistry meters) {
        this.config = config;
        this.meters = meters;
    }

    /** Reads {@code firebreak.detection.*} and the rules; connects to nothing yet. */
    public static DetectionStage create(Map<String, String> settings, MeterRegistry meters) {
        // Once per stage, before anything starts: a misspelled key would leave a default silently in force.
        Settings.check(settings);
        return new DetectionStage(DetectionConfig.fromMap(settings), meters);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void start(Duration readiness) {
        Readiness deadline = Readiness.within(readiness);
        synchronized (this) {
            if (started || closed) {
                throw new IllegalStateException("the detection stage starts once");
            }
            started = true;
        }
        try {
            // Detection starts with warm serializers; an unavailable registry is waited for.
            SchemaRegistries.registerPipelineSchemas(config.schemaRegistryUrl(), new RegistryOutage("start-up"),
                    deadline.remaining());
            DetectionService built;
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("detection closed while starting");
                }
                built = service = new DetectionService(config, meters);
            }
            built.start();
            deadline.await("detection", this::health);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Live unless Kafka Streams stopped or failed; ready while it is {@code RUNNING}. */
    @Override
    public synchronized Health health() {
        if (service == null) {
            return Health.starting("not started");
        }
        KafkaStreams.State state = service.state();
        return switch (state) {
            case RUNNING -> Health.up();
            case ERROR, PENDING_SHUTDOWN, NOT_RUNNING -> Health.failed("detection is " + state);
            default -> Health.starting("detection is " + state);
        };
    }

    @Override
    public List<String> describe() {
        return List.of("detection running " + config.rules().size() + " rules: "
                + config.rules().stream().map(DetectionStage::describe).collect(Collectors.joining(", ")));
    }

    private static String describe(DetectionRule rule) {
        return rule.id() + (rule.shadow() ? " (shadow)" : rule.response() == Response.REVOKE ? " (revoke)" : " (alert)");
    }

    @Override
    public void close() {
        DetectionService running;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = service;
        }
        if (running != null) {
            running.close();
        }
    }
}
