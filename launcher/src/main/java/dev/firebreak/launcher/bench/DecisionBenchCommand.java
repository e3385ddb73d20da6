package dev.firebreak.launcher.bench;

import dev.firebreak.schema.Principal;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.firebreak.launcher.Lifecycle;
import dev.firebreak.launcher.StackOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Pre-flight decision latency: concurrent clients post decisions ({@code POST /v1/decisions}) to the
 * ingest agent endpoint of the whole embedded pipeline, as an agent's hook would, and the bench prints
 * p50/p90/p99/max of request sent to answer read, with the settings. The actions are what agents run
 * all day (shell reads, git, SELECTs, a delete on staging): every one must be allowed, so the run
 * measures the path every tool call takes; an answer other than allow fails the run (exit 1).
 */
@Command(name = "decision-bench", mixinStandardHelpOptions = true,
        description = "Start the embedded stack and pipeline, then measure pre-flight decision latency from concurrent "
                + "clients over loopback; print the settings and p50/p90/p99/max.")
public final class DecisionBenchCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** tool, input, target environment (null: none). */
    private static final String[][] ACTIONS = {
        {"bash", "ls -la", null},
        {"bash", "git status", null},
        {"bash", "cat README.md | head -20", null},
        {"sql", "SELECT id, total FROM orders WHERE customer_id = 42", "production"},
        {"bash", "kubectl get pods -n shop", "production"},
        {"bash", "curl -X POST https://backboard.railway.app/graphql/v2 -d '{\"query\":\"mutation { volumeDelete(volumeId: \\\"st4g\\\") }\"}'",
            "staging"},
        {"sql", "DELETE FROM sessions WHERE expired_at < now()", "staging"},
    };

    @Mixin
    StackOptions stackOptions;

    @Option(names = "--decisions", defaultValue = "10000", description = "Measured decisions (default ${DEFAULT-VALUE}).")
    int decisions;

    @Option(names = "--warmup", defaultValue = "2000", description = "Decisions sent first and not counted (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--clients", defaultValue = "8", description = "Concurrent clients, one connection each (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--timeout-s", defaultValue = "600", description = Deadline.TIMEOUT_OPTION_DESCRIPTION)
    long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        if (decisions < 1 || warmup < 0 || clients < 1 || clients > 256) {
            System.err.println("--decisions >= 1, --warmup >= 0, --clients 1..256");
            return 2;
        }
        BenchRun run = BenchRun.start(timeoutSeconds);
        try (Lifecycle lifecycle = new Lifecycle()) {
            PipelineRig rig = PipelineRig.start(lifecycle, stackOptions, run.progress());
            URI url = URI.create(rig.pipeline().agentBaseUrl().orElseThrow(
                    () -> new IllegalStateException("the agent endpoint is off")) + "/v1/decisions");
            String token = rig.settings().agentActions().httpTokens().get(0);
            run.progress().event("bench", "stack and pipeline ready; " + warmup + " warm-up decisions");
            Measured warm = measure(url, token, warmup, run.deadline());
            run.progress().event("bench", "measuring " + decisions + " decisions from " + clients + " clients");
            double cpuBefore = endpointCpuSeconds();
            Measured measured = measure(url, token, decisions, run.deadline());
            double cpuMs = (endpointCpuSeconds() - cpuBefore) * 1000 / Math.max(1, measured.latenciesMs().size());
            print(measured, rig, run, cpuMs);
            boolean ok = warm.failure() == null && measured.failure() == null && measured.latenciesMs().size() == decisions;
            if (!ok) {
                System.out.println("FAILED: " + (measured.failure() != null ? measured.failure() : warm.failure()));
            }
            return ok ? 0 : 1;
        }
    }

    /** Latencies in ms, the wall time, and the first problem (an answer other than allow, an error). */
    private record Measured(List<Double> latenciesMs, double seconds, String failure) {
    }

    private Measured measure(URI url, String token, int total, Deadline deadline) throws InterruptedException {
        if (total == 0) {
            return new Measured(List.of(), 0, null);
        }
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>(total));
        AtomicLong next = new AtomicLong();
        ParallelClients.Run result = ParallelClients.run(clients, "decision-bench-client", (index, done) -> {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (long i = next.getAndIncrement(); i < total && !deadline.passed(); i = next.getAndIncrement()) {
                String[] action = ACTIONS[(int) (i % ACTIONS.length)];
                HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(record(index, action)))).build();
                long start = System.nanoTime();
                HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                double ms = (System.nanoTime() - start) / 1e6;
                JsonNode answer = JSON.readTree(response.body());
                if (response.statusCode() != 200 || !"allow".equals(answer.path("decision").asText())) {
                    throw new IllegalStateException("decision " + i + " (" + action[1] + "): HTTP " + response.statusCode()
                            + " " + answer);
                }
                latencies.add(ms);
                done.increment();
            }
        });
        return new Measured(List.copyOf(latencies), result.seconds(), result.firstError());
    }

    private static ObjectNode record(int client, String[] action) {
        ObjectNode record = JSON.createObjectNode().put("agent_id", "bench-agent-" + client).put("tool", action[0])
                .put("input", action[1]).put("credential", Principal.token("bench", "agent-" + client).format());
        if (action[2] != null) {
            record.put("target_environment", action[2]);
        }
        return record;
    }

    /**
     * CPU seconds of the endpoint's worker threads so far: what a decision costs the server itself
     * (parse, classify, decide, answer), apart from waiting for a core on a busy machine.
     */
    private static double endpointCpuSeconds() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long nanos = 0;
        for (java.lang.management.ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith("firebreak-agent-http-")) {
                nanos += Math.max(0, threads.getThreadCpuTime(t.getThreadId()));
            }
        }
        return nanos / 1e9;
    }

    private static String loadAverage() {
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return load < 0 ? "n/a" : String.format("%.1f", load);
    }

    private void print(Measured m, PipelineRig rig, BenchRun run, double cpuMsPerDecision) {
        Percentiles p = Percentiles.of(m.latenciesMs());
        System.out.printf("decision-bench: %d decisions (+%d warm-up) from %d concurrent clients (java.net.http, HTTP/1.1,"
                        + " one connection each), loopback; %d action shapes (shell reads, git, SELECT, a delete on staging),"
                        + " all allowed by the bundled decision rules%n", decisions, warmup, clients, ACTIONS.length);
        System.out.printf("settings: endpoint threads %d, sun.net.httpserver.nodelay=%s, %d CPU cores, JDK %s, the whole"
                        + " pipeline in this JVM (%d broker%s)%n", rig.settings().agentActions().httpThreads(),
                System.getProperty("sun.net.httpserver.nodelay", "false"), Runtime.getRuntime().availableProcessors(),
                Runtime.version(), stackOptions.brokers(), stackOptions.brokers() > 1 ? "s" : "");
        if (p == null) {
            System.out.println("no decision measured");
            return;
        }
        System.out.printf("%-10s %8s %8s %8s %8s %8s %10s%n", "", "n", "p50 ms", "p90 ms", "p99 ms", "max ms", "per s");
        System.out.printf("%-10s %8d %8.2f %8.2f %8.2f %8.2f %10.0f%n", "decision", p.count(), p.p50(), p.p90(), p.p99(),
                p.max(), m.seconds() > 0 ? p.count() / m.seconds() : 0);
        System.out.printf("endpoint CPU per decision %.3f ms (its worker threads: parse, classify, decide, answer);"
                + " system load average %s at the end%n", cpuMsPerDecision, loadAverage());
        System.out.printf("total %.1f s (stack start included)%n", run.elapsedSeconds());
    }
}
