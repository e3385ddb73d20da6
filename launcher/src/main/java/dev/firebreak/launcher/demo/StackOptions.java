package dev.firebreak.launcher.demo;

import picocli.CommandLine.Option;

/** Options shared by the commands that start the embedded stack. */
public final class StackOptions {
    @Option(names = "--brokers", defaultValue = "1", description = "Kafka brokers in the embedded cluster: 1 or 3 (default ${DEFAULT-VALUE}).")
    int brokers;

    @Option(names = "--cluster", defaultValue = "local", description = "Name of the watched PostgreSQL cluster in principals pg:<cluster>/<role> (default ${DEFAULT-VALUE}).")
    String cluster;

    @Option(names = "--metrics-port", defaultValue = "0", description = "Port of the Prometheus endpoint on 127.0.0.1; 0 picks a free one.")
    int metricsPort;
}
