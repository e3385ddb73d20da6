package dev.firebreak.ingest.postgres;

import dev.firebreak.ingest.agent.AgentActionTableRouter;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Rows of {@code firebreak.agent_actions}, handed to {@link AgentActionTableRouter}. Snapshot reads are
 * not taken: they are not actions happening now and must never count toward a burst.
 */
final class AgentActionRowRoute implements CaptureRoute {
    private final AgentActionTableRouter router;

    AgentActionRowRoute(AgentActionTableRouter router) {
        this.router = router;
    }

    @Override
    public boolean handles(SourceRecord record, Struct value) {
        return value.schema().field("op") != null && AgentActionTableRouter.isActionTable(value)
                && !AgentActionTableRouter.isSnapshotRead(value);
    }

    @Override
    public void route(SourceRecord record, Struct value, CaptureBatch batch) {
        batch.await(router.route(value));
    }
}
