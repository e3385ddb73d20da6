package dev.firebreak.launcher;

import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.stack.LocalStack;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Option;

/** Options shared by every command that starts the embedded stack (a picocli mixin). */
public final class StackOptions {
    @Option(names = "--brokers", defaultValue = "1", description = "Kafka brokers in the embedded cluster: 1 or 3 (default ${DEFAULT-VALUE}).")
    int brokers;

    @Option(names = "--cluster", defaultValue = "local", description = "Name of the watched PostgreSQL cluster in principals pg:<cluster>/<role> (default ${DEFAULT-VALUE}).")
    String cluster;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a pipeline setting, e.g. --set firebreak.ingest.poll.interval.ms=5 (repeatable).")
    Map<String, String> overrides = new TreeMap<>();

    @Option(names = "--kafka-auth", defaultValue = "scram", converter = KafkaAuthConverter.class,
            description = "Kafka client authentication: scram (SASL/SCRAM-SHA-512 per stage, ACLs; default) or none.")
    LocalStack.KafkaAuth kafkaAuth = LocalStack.KafkaAuth.SCRAM;

    @Option(names = "--metrics-port", defaultValue = "0", description = "Port of the Prometheus endpoint on 127.0.0.1; 0 picks a free one.")
    int metricsPort;

    public LocalStack.KafkaAuth kafkaAuth() {
        return kafkaAuth;
    }

    /** {@code scram} or {@code none}; anything else fails naming the option and the allowed values. */
    static final class KafkaAuthConverter implements picocli.CommandLine.ITypeConverter<LocalStack.KafkaAuth> {
        @Override
        public LocalStack.KafkaAuth convert(String value) {
            return switch (value) {
                case "scram" -> LocalStack.KafkaAuth.SCRAM;
                case "none" -> LocalStack.KafkaAuth.NONE;
                default -> throw new picocli.CommandLine.TypeConversionException(
                        "--kafka-auth=" + value + " is not allowed; allowed: scram, none");
            };
        }
    }

    public int brokers() {
        return brokers;
    }

    public String cluster() {
        return cluster;
    }

    /** The {@code --set} overrides, in key order. */
    public Map<String, String> overrides() {
        return Map.copyOf(overrides);
    }

    /** Sets {@code key} unless {@code --set} already did: a command's own default for a pipeline setting. */
    public void defaultSetting(String key, String value) {
        overrides.putIfAbsent(key, value);
    }

    public int metricsPort() {
        return metricsPort;
    }

    /** The pipeline's settings for {@code stack}, with the {@code --set} overrides applied and validated. */
    public PipelineSettings settings(LocalStack stack) {
        Map<String, String> flat = PipelineSettings.stackMap(stack, cluster, List.of());
        flat.putAll(overrides);
        return PipelineSettings.fromMap(flat);
    }
}
