package dev.firebreak.launcher.bench;

import dev.firebreak.schema.Principal;
import static dev.firebreak.launcher.bench.CapturePath.marker;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.firebreak.schema.AuditSource;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/** Ingest throughput of the agent HTTP path: batches of actions posted back to back from a few threads. */
final class HttpThroughput {
    static final String AGENT_ID = "fbb-tput";
    private static final Duration IDLE = Duration.ofSeconds(15);
    private final AgentActionClient client;
    private final EventTap tap;
    private final Deadline deadline;

    HttpThroughput(AgentActionClient client, EventTap tap, Deadline deadline) {
        this.client = client;
        this.tap = tap;
        this.deadline = deadline;
    }

    ThroughputResult run(int threads, int batchSize, int records) throws InterruptedException {
        List<ArrayNode> batches = batches(batchSize, records);
        FlowCounter counter = tap.count(EventMatchers.agentOf(AuditSource.AGENT_ACTION_HTTP, Principal.agent(AGENT_ID).format()));
        try {
            ParallelClients.Run run = ParallelClients.run(threads, "fbb-http-client",
                    (index, done) -> post(batches, index, threads, done));
            return new ThroughputResult("http", String.format(Locale.ROOT,
                    "%d threads posting batches of %d records, %d records", threads, batchSize, records),
                    records, run, counter.await(run.completed(), IDLE, deadline));
        } finally {
            tap.stopCounting(counter);
        }
    }

    // Built before the clock starts: the run measures the endpoint, not the building of requests.
    private static List<ArrayNode> batches(int batchSize, int records) {
        List<ArrayNode> batches = new ArrayList<>();
        for (int first = 0; first < records; first += batchSize) {
            ArrayNode batch = AgentActionClient.batch();
            for (int n = first; n < Math.min(records, first + batchSize); n++) {
                batch.add(AgentActionClient.action(AGENT_ID, "ls /tmp/" + marker("fbb_tput", n), null));
            }
            batches.add(batch);
        }
        return batches;
    }

    private void post(List<ArrayNode> batches, int index, int threads, LongAdder done)
            throws IOException, InterruptedException {
        for (int b = index; b < batches.size() && !deadline.passed(); b += threads) {
            client.post(batches.get(b));
            done.add(batches.get(b).size());
        }
    }
}
