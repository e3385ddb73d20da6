package dev.firebreak.detect;

import dev.firebreak.config.Settings;
import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.registry.RegistryOutage;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.stage.Health;
import dev.firebreak.stage.Readiness;
import dev.firebreak.stage.ServiceStage;
import dev.firebreak.stage.Stage;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Detection as a {@link Stage}: registers the pipeline's schemas (an unavailable registry is waited
 * for, with a WARN while it lasts, within the readiness deadline), starts Kafka Streams and is
 * ready once it is {@code RUNNING}. The one place that builds a {@link DetectionService} from settings.
 */
public final class DetectionStage extends ServiceStage<DetectionService> {
    /** The stage's name, as {@code service} spells it. */
    public static final String NAME = "detection";
    private final DetectionConfig config;
    private final MeterRegistry meters;

    private DetectionStage(DetectionConfig config, MeterRegistry meters) {
        super("detection");
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
    protected DetectionService open(Readiness deadline) {
        // Detection starts with warm serializers; an unavailable registry is waited for.
        SchemaRegistries.registerPipelineSchemas(config.schemaRegistryUrl(), new RegistryOutage("start-up"),
                deadline.remaining());
        if (closed()) {
            throw new IllegalStateException("detection closed while starting");
        }
        DetectionService built = new DetectionService(config, meters);
        built.start();
        return built;
    }

    /** Live unless Kafka Streams stopped or failed; ready while it is {@code RUNNING}. */
    @Override
    protected Health healthOf(DetectionService running) {
        KafkaStreams.State state = running.state();
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
}
