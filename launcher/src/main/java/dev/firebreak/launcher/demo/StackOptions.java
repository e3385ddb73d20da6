package dev.firebreak.launcher.demo;

import picocli.CommandLine.Option;

/** Options shared by the commands that start the embedded stack. */
public final class StackOptions {
    @Option(names = "--brokers", defaultValue = "1", description = "Kafka brokers in the embedded cluster: 1 or 3 (default ${DEFAULT-VALUE}).")
    int brokers;

    @Option(names = "--cluster", defaultValue = "local", description = "Name of the watched PostgreSQL cluster in principals pg:<cluster>/<role> (default ${DEFAULT-VALUE}).")
    String cluster;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a pipeline setting, e.g. --set firebreak.ingest.poll.interval.ms=5 (repeatable).")
    java.util.Map<String, String> overrides = new java.util.HashMap<>();

    @Option(names = "--metrics-port", defaultValue = "0", description = "Port of the Prometheus endpoint on 127.0.0.1; 0 picks a free one.")
    int metricsPort;

    /** The pipeline's settings for {@code stack}, with the {@code --set} overrides applied and validated. */
    dev.firebreak.launcher.pipeline.PipelineSettings settings(dev.firebreak.launcher.stack.LocalStack stack) {
        java.util.Map<String, String> flat = dev.firebreak.launcher.pipeline.PipelineSettings.stackMap(stack, cluster, java.util.List.of());
        flat.putAll(overrides);
        return dev.firebreak.launcher.pipeline.PipelineSettings.fromMap(flat);
    }
}
