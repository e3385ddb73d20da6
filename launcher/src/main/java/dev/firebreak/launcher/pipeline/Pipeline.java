package dev.firebreak.launcher.pipeline;

import dev.firebreak.detect.DetectionStage;
import dev.firebreak.export.ocsf.ExportStage;
import dev.firebreak.ingest.IngestStage;
import dev.firebreak.ingest.agent.AgentActionEndpoint;
import dev.firebreak.killswitch.KillSwitchStage;
import dev.firebreak.oncall.OnCallStage;
import dev.firebreak.stage.Health;
import dev.firebreak.stage.Stage;
import dev.firebreak.stage.StageGroup;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Every stage of the data flow in one process, built by the same factories as
 * {@code firebreak service <stage>}: the kill switch, detection, ingest, and on-call and the OCSF
 * export when configured. Started downstream first, so nothing captured waits for a consumer, and
 * closed in the reverse order.
 */
public final class Pipeline implements AutoCloseable {
    /** How long each stage may take to be ready (an embedded stack answers within seconds). */
    static final Duration READINESS = Duration.ofMinutes(2);

    private final StageGroup stages;
    private final IngestStage ingest;

    private Pipeline(StageGroup stages, IngestStage ingest) {
        this.stages = stages;
        this.ingest = ingest;
    }

    /** Base URL of the agent action endpoint ({@code POST <url>/v1/actions}), when it is on. */
    public Optional<String> agentActionsUrl() {
        return ingest.agentBaseUrl().map(url -> url + AgentActionEndpoint.ACTIONS_PATH);
    }

    /** Base URL of the agent endpoint ({@code <url>/v1/actions}, {@code <url>/v1/decisions}), when it is on. */
    public Optional<String> agentBaseUrl() {
        return ingest.agentBaseUrl();
    }

    /** Starts every stage and returns once each is ready; a stage that fails closes those started before it. */
    public static Pipeline start(PipelineSettings settings, MeterRegistry meters, Consumer<String> progress) {
        Map<String, String> flat = settings.flat();
        IngestStage ingest = IngestStage.create(flat, meters);
        // Built (and so checked) all before any starts. The kill switch first: it needs no
        // registry to start (it waits for one per record).
        List<Stage> order = new ArrayList<>(List.of(KillSwitchStage.create(flat, meters), DetectionStage.create(flat, meters),
                ingest));
        OnCallStage.optional(flat, meters).ifPresent(order::add);
        ExportStage.optional(flat, meters).ifPresent(order::add);
        return new Pipeline(StageGroup.start(order, READINESS, progress), ingest);
    }

    /** The stages, in start order. */
    public List<Stage> stages() {
        return stages.stages();
    }

    /** Live when every stage is, ready when every stage is; for {@code /health/live} and {@code /health/ready}. */
    public Health health() {
        return stages.health();
    }

    @Override
    public void close() {
        stages.close();
    }
}
