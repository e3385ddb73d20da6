package dev.firebreak.launcher.bench;

import dev.firebreak.launcher.StackOptions;

import dev.firebreak.launcher.Lifecycle;
import dev.firebreak.launcher.demo.BurstScenario;
import dev.firebreak.launcher.demo.DemoReport;
import dev.firebreak.launcher.demo.OutcomeWatcher;
import dev.firebreak.launcher.demo.RogueAgent;
import dev.firebreak.launcher.demo.Timeline;
import dev.firebreak.launcher.metrics.MetricsServer;
import dev.firebreak.launcher.pipeline.Pipeline;
import dev.firebreak.launcher.stack.LocalStack;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Measures statement-to-revocation latency over many bursts, each by a fresh rogue role, and prints
 * percentiles. Figures, not assertions: this is where latency is judged.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run many DROP TABLE bursts against the embedded pipeline and print statement-to-revoked "
                + "latency percentiles.")
public final class BenchCommand implements Callable<Integer> {
    @Mixin
    StackOptions stackOptions;

    @Option(names = "--bursts", defaultValue = "40", description = "Bursts to run (default ${DEFAULT-VALUE}).")
    int bursts;

    @Option(names = "--warmup", defaultValue = "100", description = "Bursts run first and not counted, so the JIT "
            + "has compiled the hot paths as in a long-running service (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--warmup-rate", defaultValue = "200", description = "DROP TABLE statements per second in warm-up bursts (default ${DEFAULT-VALUE}).")
    double warmupRate;

    @Option(names = "--tables", defaultValue = "8", description = "Tables each rogue owns (default ${DEFAULT-VALUE}).")
    int tables;

    @Option(names = "--rate", defaultValue = "6", description = "DROP TABLE statements per second (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--mode", defaultValue = "both", description = "autocommit, transaction or both (alternating; default ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--verbose", description = "Print every statement and outcome.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        List<RogueAgent.Mode> modes = switch (mode) {
            case "autocommit" -> List.of(RogueAgent.Mode.AUTOCOMMIT);
            case "transaction" -> List.of(RogueAgent.Mode.TRANSACTION);
            case "both" -> List.of(RogueAgent.Mode.AUTOCOMMIT, RogueAgent.Mode.TRANSACTION);
            default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--mode=" + mode + " is not allowed; allowed: autocommit, transaction, both");
        };
        Timeline timeline = new Timeline(System.out, !verbose);
        try (Lifecycle lifecycle = new Lifecycle()) {
            LocalStack stack = lifecycle.own(LocalStack.start(stackOptions.brokers(), stackOptions.kafkaAuth(), m -> timeline.event("stack", m)));
            MetricsServer metrics = lifecycle.own(new MetricsServer("127.0.0.1", stackOptions.metricsPort()));
            lifecycle.own(Pipeline.start(stackOptions.settings(stack),
                    metrics.registry(), m -> timeline.event("pipeline", m)));
            OutcomeWatcher watcher = lifecycle.own(new OutcomeWatcher(stack.observerClientProperties(),
                    stack.registryUrl(), a -> { }, r -> { }));
            BurstScenario scenario = new BurstScenario(stack.postgres(), watcher, stackOptions.cluster(), timeline);
            List<Double> latencies = new ArrayList<>();
            List<DemoReport.Hops> hops = new ArrayList<>();
            int missed = 0;
            for (int i = 0; i < warmup + bursts; i++) {
                RogueAgent.Mode m = modes.get(i % modes.size());
                String role = String.format(Locale.ROOT, "bench_%03d", i);
                RogueAgent agent = scenario.prepare(role, role, tables, 10);
                if (i < warmup) {
                    scenario.run(agent, role, role, m, tables, warmupRate);
                    continue;
                }
                DemoReport report = scenario.run(agent, role, role, m, tables, rate);
                if (!report.revoked() || report.statementToRevokedMs() == null) {
                    missed++;
                } else {
                    latencies.add(report.statementToRevokedMs());
                    if (report.hops() != null) {
                        hops.add(report.hops());
                    }
                }
                System.out.printf(Locale.ROOT, "burst %3d %-11s dropped %d kept %d revoked %s  %s  %s%n", i - warmup + 1,
                        m.label(), report.tablesDropped(), report.tablesKept(), report.revoked(),
                        report.statementToRevokedMs() == null ? "n/a" : String.format(Locale.ROOT, "%.2f ms", report.statementToRevokedMs()),
                        report.hops() == null ? "" : String.format(Locale.ROOT, "(capture %.2f, detect+deliver %.2f, revoke %.2f)",
                                report.hops().captureMs(), report.hops().detectAndDeliverMs(), report.hops().revokeMs()));
            }
            printSummary(latencies, missed);
            printHop("capture (statement to event read and normalised by ingest)", hops.stream().map(DemoReport.Hops::captureMs).toList());
            printHop("deliver + detect (2 Kafka hops, Streams) to kill switch", hops.stream().map(DemoReport.Hops::detectAndDeliverMs).toList());
            printHop("revoke (NOLOGIN, terminate, confirm gone)", hops.stream().map(DemoReport.Hops::revokeMs).toList());
            return missed == 0 ? 0 : 1;
        }
    }

    private void printSummary(List<Double> latencies, int missed) {
        System.out.printf(Locale.ROOT, "%nstatement-to-revoked latency over %d bursts (%d missed; after %d warm-up bursts "
                        + "at %.0f/s; %d tables per rogue at %.1f/s; mode %s; %d broker(s); settings overridden: %s)%n",
                latencies.size(), missed, warmup, warmupRate, tables, rate, mode, stackOptions.brokers(), stackOptions.overrides());
        Percentiles p = Percentiles.of(latencies);
        if (p == null) {
            return;
        }
        System.out.printf(Locale.ROOT, "  min %.2f ms  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  mean %.2f ms%n",
                latencies.stream().mapToDouble(Double::doubleValue).min().orElse(0), p.p50(), p.p90(), p.p99(), p.max(),
                latencies.stream().mapToDouble(Double::doubleValue).average().orElse(0));
    }

    private static void printHop(String name, List<Double> values) {
        Percentiles p = Percentiles.of(values);
        if (p != null) {
            System.out.printf(Locale.ROOT, "  %-52s p50 %7.2f ms  p99 %7.2f ms%n", name, p.p50(), p.p99());
        }
    }
}
