package dev.firebreak.ingest.postgres;

import dev.firebreak.schema.AuditEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * What the routes produced from one engine batch: the sends whose acknowledgement the batch's offsets
 * wait for, the audit events among them (for the latency metrics), and what may only happen once all
 * of them are in Kafka. Engine thread only.
 */
final class CaptureBatch {
    private final List<Future<RecordMetadata>> acks = new ArrayList<>();
    private final List<AuditEvent> sent = new ArrayList<>();
    private final List<Runnable> afterAcks = new ArrayList<>();

    /** A send the batch's offsets must wait for; null (nothing sent) is ignored. */
    void await(Future<RecordMetadata> ack) {
        if (ack != null) {
            acks.add(ack);
        }
    }

    /** An audit event sent in this batch. */
    void sent(AuditEvent event) {
        sent.add(event);
    }

    /** Something that may only happen once every send of the batch is acknowledged. */
    void afterAcks(Runnable action) {
        afterAcks.add(action);
    }

    List<AuditEvent> sentEvents() {
        return sent;
    }

    /**
     * Waits for every acknowledgement. One that fails fails the batch, so its offsets are never
     * committed and a restart replays it.
     */
    void awaitAcks() throws InterruptedException {
        for (Future<RecordMetadata> ack : acks) {
            try {
                ack.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("Kafka did not acknowledge a captured event: " + e.getCause(), e.getCause());
            }
        }
    }

    /** Runs what waited for the acknowledgements, in the order it was registered. */
    void runAfterAcks() {
        afterAcks.forEach(Runnable::run);
    }
}
