package dev.firebreak.launcher.demo;

import dev.firebreak.launcher.StackOptions;

import dev.firebreak.launcher.Lifecycle;
import dev.firebreak.launcher.metrics.MetricsServer;
import dev.firebreak.launcher.pipeline.Pipeline;
import dev.firebreak.launcher.stack.LocalStack;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Replays the 9-second incident against the whole pipeline, in one JVM, and reports. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start Kafka, PostgreSQL 17, the registry and the pipeline in one JVM, then let three rogue "
                + "roles drop tables (autocommit, inside one transaction, and all at once with DROP SCHEMA ... CASCADE) "
                + "and show how far they got: refused inside PostgreSQL by the guard, or locked out by the kill switch.")
public final class DemoCommand implements Callable<Integer> {
    @Mixin
    StackOptions stackOptions;

    @Option(names = "--json", description = "Also print the summary as one JSON line.")
    boolean json;

    @Option(names = "--tables", defaultValue = "150", description = "Tables per rogue run (default ${DEFAULT-VALUE}).")
    int tables;

    @Option(names = "--rows", defaultValue = "100", description = "Rows per table (default ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--rate", defaultValue = "6", description = "DROP TABLE statements per second (default ${DEFAULT-VALUE}, as in the incident).")
    double rate;

    @Override
    public Integer call() throws Exception {
        Timeline timeline = new Timeline(System.out, false);
        try (Lifecycle lifecycle = new Lifecycle()) {
            LocalStack stack = lifecycle.own(LocalStack.start(stackOptions.brokers(), stackOptions.kafkaAuth(), m -> timeline.event("stack", m)));
            MetricsServer metrics = lifecycle.own(new MetricsServer("127.0.0.1", stackOptions.metricsPort()));
            lifecycle.own(Pipeline.start(stackOptions.settings(stack), metrics.registry(), m -> timeline.event("pipeline", m)));
            timeline.event("metrics", metrics.url());
            OutcomeWatcher watcher = lifecycle.own(new OutcomeWatcher(stack.observerClientProperties(), stack.registryUrl(),
                    alert -> timeline.event("ALERT", Narration.alert(alert)),
                    result -> timeline.event("KILL SWITCH", Narration.result(result))));
            BurstScenario scenario = new BurstScenario(stack.postgres(), watcher, stackOptions.cluster(), timeline);
            RogueAgent first = scenario.prepare("rogue_autocommit", "shop", tables, rows);
            RogueAgent second = scenario.prepare("rogue_transaction", "billing", tables, rows);
            RogueAgent third = scenario.prepare("rogue_cascade", "ledger", tables, rows);
            timeline.line("");
            DemoReport autocommit = scenario.run(first, "rogue_autocommit", "shop", RogueAgent.Mode.AUTOCOMMIT, tables, rate);
            timeline.line("");
            DemoReport transaction = scenario.run(second, "rogue_transaction", "billing", RogueAgent.Mode.TRANSACTION, tables, rate);
            timeline.line("");
            DemoReport cascade = scenario.run(third, "rogue_cascade", "ledger", RogueAgent.Mode.CASCADE, tables, rate);
            List<DemoReport> reports = List.of(autocommit, transaction, cascade);
            timeline.line("");
            timeline.line("Summary");
            reports.forEach(r -> timeline.line("  " + r.describe()));
            if (json) {
                System.out.println(DemoReport.toJson(reports));
            }
            return reports.stream().allMatch(DemoReport::revoked) ? 0 : 1;
        }
    }
}
