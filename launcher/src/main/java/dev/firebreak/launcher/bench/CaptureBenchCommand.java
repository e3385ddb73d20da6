package dev.firebreak.launcher.bench;

import dev.firebreak.launcher.StackOptions;

import dev.firebreak.launcher.Lifecycle;
import dev.firebreak.launcher.demo.Timeline;
import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.stack.LocalStack;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Measures every capture path on this machine: per path, the latency from the client's action to
 * the audit event on Kafka (p50/p90/p99/max over sequential samples), and the ingest throughput of
 * the DML and agent HTTP paths. Figures, not assertions: this is where capture speed is judged.
 * Exits 0 when every sample's event and every throughput event arrived in time, 1 otherwise.
 */
@Command(name = "capture-bench", mixinStandardHelpOptions = true,
        description = "Start the embedded stack and pipeline, then measure each capture path's latency (client action "
                + "to AuditEvent consumed from Kafka) and the DML and HTTP ingest throughput; print the settings and tables. "
                + "Exit code 1 when an event was lost, a client action failed or the timeout cut the run.")
public final class CaptureBenchCommand implements Callable<Integer> {
    /** Every path, in the order they run. */
    static final List<String> ALL_PATHS = List.of("ddl-create", "ddl-drop", "dml-delete", "dml-update", "truncate",
            "log-role", "log-database", "agent-http", "agent-table");

    @Mixin
    StackOptions stackOptions;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--paths", split = ",", paramLabel = "PATH",
            description = "Paths to measure, comma-separated (default: all of ddl-create, ddl-drop, dml-delete, dml-update, "
                    + "truncate, log-role, log-database, agent-http, agent-table).")
    List<String> paths = new ArrayList<>(ALL_PATHS);

    @Option(names = "--samples", defaultValue = "200", description = "Counted samples per path (default ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--warmup", defaultValue = "50", description = "Samples per path run first and not counted (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--drop-roles", defaultValue = "32", description = "Roles taking turns in ddl-create and ddl-drop (default ${DEFAULT-VALUE}).")
    int dropRoles;

    @Option(names = "--drop-spacing-ms", defaultValue = "600",
            description = "Least time between two DROPs of one role, keeping each below the drop-burst rule of 3 tables "
                    + "in 1 s (default ${DEFAULT-VALUE}).")
    long dropSpacingMs;

    @Option(names = "--sample-timeout-ms", defaultValue = "10000", description = "How long one sample waits for its event (default ${DEFAULT-VALUE}).")
    long sampleTimeoutMs;

    @Option(names = "--connections", defaultValue = "4", description = "DML throughput: connections deleting at once (default ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--statements", defaultValue = "2500", description = "DML throughput: single-row DELETEs per connection (default ${DEFAULT-VALUE}).")
    int statements;

    @Option(names = "--http-threads", defaultValue = "2", description = "HTTP throughput: threads posting at once (default ${DEFAULT-VALUE}).")
    int httpThreads;

    @Option(names = "--http-batch", defaultValue = "100", description = "HTTP throughput: records per POST (default ${DEFAULT-VALUE}).")
    int httpBatch;

    @Option(names = "--http-records", defaultValue = "20000", description = "HTTP throughput: records posted in all (default ${DEFAULT-VALUE}).")
    int httpRecords;

    @Option(names = "--no-throughput", description = "Measure latency only.")
    boolean noThroughput;

    @Option(names = "--timeout-s", defaultValue = "300",
            description = Deadline.TIMEOUT_OPTION_DESCRIPTION)
    long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        validate();
        BenchRun run = BenchRun.start(timeoutSeconds);
        try (Lifecycle lifecycle = new Lifecycle()) {
            Rig rig = start(lifecycle, run.progress());
            run.progress().event("bench", "stack and pipeline ready; measuring");
            Outcome outcome = measure(rig, run.deadline(), run.progress());
            print(outcome, rig.tap(), run.deadline(), run.elapsedSeconds());
            return outcome.complete() && !run.deadline().passed() ? 0 : 1;
        }
    }

    /** What the bench drives and watches; {@code agents} is null when the agent endpoint is off. */
    private record Rig(LocalStack stack, PipelineSettings settings, EventTap tap, DatabasePaths database,
                       AgentActionClient agents) {
    }

    private Rig start(Lifecycle lifecycle, Timeline progress) throws SQLException {
        PipelineRig pipeline = PipelineRig.start(lifecycle, stackOptions, progress);
        LocalStack stack = pipeline.stack();
        PipelineSettings settings = pipeline.settings();
        EventTap tap = lifecycle.own(pipeline.joinTap());
        DatabasePaths database = lifecycle.own(DatabasePaths.prepare(stack.postgres(), dropRoles,
                Duration.ofMillis(dropSpacingMs), warmup + samples));
        AgentActionClient agents = pipeline.pipeline().agentActionsUrl()
                .map(url -> new AgentActionClient(url, settings.agentActions().httpTokens().get(0))).orElse(null);
        return new Rig(stack, settings, tap, database, agents);
    }

    private void validate() {
        List<String> unknown = paths.stream().filter(p -> !ALL_PATHS.contains(p)).toList();
        if (!unknown.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--paths: unknown " + unknown + "; allowed: " + ALL_PATHS);
        }
        if (samples < 1 || warmup < 0 || dropRoles < 1 || dropSpacingMs < 0 || sampleTimeoutMs < 1 || connections < 1
                || statements < 1 || httpThreads < 1 || httpBatch < 1 || httpRecords < 1 || timeoutSeconds < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "counts, sizes and timeouts must be positive (--warmup and --drop-spacing-ms may be 0)");
        }
    }

    /** Everything measured, and the paths or loads left out and why. */
    private record Outcome(List<PathResult> latency, List<ThroughputResult> throughput, List<String> skipped) {
        boolean complete() {
            return latency.stream().allMatch(r -> r.missed() == 0 && r.failed() == 0 && !r.cut())
                    && throughput.stream().allMatch(ThroughputResult::complete);
        }
    }

    private Outcome measure(Rig rig, Deadline deadline, Timeline progress) throws SQLException, InterruptedException {
        List<String> skipped = new ArrayList<>();
        Map<String, CapturePath> available = availablePaths(rig, skipped);
        List<PathResult> latency = new ArrayList<>();
        LatencyRunner runner = new LatencyRunner(rig.tap(), deadline, Duration.ofMillis(sampleTimeoutMs));
        for (String name : selectedPaths()) {
            if (available.containsKey(name) && !deadline.passed()) {
                latency.add(runPath(runner, available.get(name), progress));
            }
        }
        List<ThroughputResult> throughput = new ArrayList<>();
        if (!noThroughput && !deadline.passed()) {
            progress.event("bench", "throughput: DML, " + connections + " connections x " + statements + " DELETEs");
            throughput.add(new DmlThroughput(rig.stack().postgres(), rig.tap(), deadline).run(connections, statements));
        }
        if (!noThroughput && rig.agents() != null && !deadline.passed()) {
            progress.event("bench", "throughput: HTTP, " + httpThreads + " threads, " + httpRecords + " records in batches of " + httpBatch);
            throughput.add(new HttpThroughput(rig.agents(), rig.tap(), deadline).run(httpThreads, httpBatch, httpRecords));
        }
        return new Outcome(latency, throughput, skipped);
    }

    private static Map<String, CapturePath> availablePaths(Rig rig, List<String> skipped) {
        Map<String, CapturePath> available = new LinkedHashMap<>();
        for (CapturePath path : rig.database().paths()) {
            if (path.name().startsWith("log-") && rig.settings().serverLogCapture().isEmpty()) {
                skipped.add(path.name() + ": the server-log capture is off (firebreak.ingest.pglog.enabled)");
            } else {
                available.put(path.name(), path);
            }
        }
        if (rig.agents() != null) {
            available.put("agent-http", rig.agents().capturePath());
        } else {
            skipped.add("agent-http and HTTP throughput: the agent endpoint is off (firebreak.ingest.agent.http.enabled)");
        }
        return available;
    }

    private PathResult runPath(LatencyRunner runner, CapturePath path, Timeline progress) throws InterruptedException {
        progress.event("bench", path.name() + ": " + warmup + " warm-up + " + samples + " samples");
        PathResult result = runner.run(path, warmup, samples);
        Percentiles e2e = result.endToEnd();
        progress.event("bench", String.format(Locale.ROOT, "%s: p50 %s ms, %d missed, %d failed", path.name(),
                e2e == null ? "-" : String.format(Locale.ROOT, "%.2f", e2e.p50()), result.missed(), result.failed()));
        return result;
    }

    private void print(Outcome outcome, EventTap tap, Deadline deadline, double elapsedSeconds) {
        BenchReport report = new BenchReport(System.out);
        report.settings(settingsLine());
        report.latency(outcome.latency());
        report.throughput(outcome.throughput());
        report.note("");
        outcome.skipped().forEach(s -> report.note("skipped: " + s));
        outcome.latency().stream().filter(PathResult::cut).forEach(r -> report.note(r.path().name()
                + ": cut by the timeout after " + (r.samples().size() + r.missed() + r.failed()) + " of " + r.planned() + " samples"));
        outcome.latency().stream().filter(r -> r.firstError() != null)
                .forEach(r -> report.note(r.path().name() + ": first problem: " + r.firstError()));
        outcome.throughput().stream().filter(r -> r.clients().firstError() != null)
                .forEach(r -> report.note(r.name() + " throughput: first client error: " + r.clients().firstError()));
        if (deadline.passed()) {
            report.note("TIMED OUT after " + timeoutSeconds + " s: the figures above are partial");
        }
        List<String> alerts = tap.alerts();
        report.note("alerts during the run: " + (alerts.isEmpty() ? "none" : alerts.size() + " " + alerts)
                + "; unreadable records: " + tap.unreadable());
        report.note(String.format(Locale.ROOT, "capture-bench took %.1f s, stack and pipeline start included", elapsedSeconds));
    }

    private String settingsLine() {
        return String.format(Locale.ROOT, "paths=%s; samples=%d after warm-up=%d per path, "
                        + "sequential, one in flight, sample timeout %d ms; DDL roles=%d, drop spacing %d ms per role; "
                        + "throughput: dml %d connections x %d statements, http %d threads x batches of %d, %d records; "
                        + "Kafka brokers=%d, bench consumer fetch.max.wait.ms=%d; cluster=%s; overrides=%s; "
                        + "JVM %s, GC %s, %d CPUs; timeout %d s",
                String.join(",", selectedPaths()), samples, warmup, sampleTimeoutMs,
                dropRoles, dropSpacingMs, connections, statements, httpThreads, httpBatch, httpRecords,
                stackOptions.brokers(), EventTap.FETCH_MAX_WAIT_MS, stackOptions.cluster(), stackOptions.overrides(),
                Runtime.version(), garbageCollectors(), Runtime.getRuntime().availableProcessors(), timeoutSeconds)
                + (noThroughput ? "; throughput skipped" : "");
    }

    private List<String> selectedPaths() {
        return ALL_PATHS.stream().filter(paths::contains).toList();
    }

    /** The JVM's garbage collectors, for the settings line (ParallelGC or G1 change the figures). */
    static String garbageCollectors() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
                .collect(Collectors.joining(" + ", "[", "]"));
    }
}
