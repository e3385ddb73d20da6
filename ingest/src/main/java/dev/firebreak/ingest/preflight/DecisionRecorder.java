package dev.firebreak.ingest.preflight;

import dev.firebreak.schema.PreflightDecision;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Where refusals and held decisions are recorded: {@code firebreak.preflight.decisions.v1}, keyed by principal. */
@FunctionalInterface
public interface DecisionRecorder {

    /** Produces the decision; the caller waits on the future before answering the agent. */
    Future<RecordMetadata> record(PreflightDecision decision);
}
