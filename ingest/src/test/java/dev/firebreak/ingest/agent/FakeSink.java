package dev.firebreak.ingest.agent;

import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.Topics;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/** Records what would have been produced; can be told to fail like an unreachable Kafka. */
final class FakeSink implements AuditEventSink {
    final List<AuditEvent> events = new CopyOnWriteArrayList<>();
    final List<DeadLetter> deadLetters = new CopyOnWriteArrayList<>();
    volatile boolean failing;

    @Override
    public Future<RecordMetadata> send(AuditEvent event) {
        if (failing) {
            return CompletableFuture.failedFuture(new org.apache.kafka.common.errors.TimeoutException("no broker"));
        }
        events.add(event);
        return ack(Topics.AUDIT_EVENTS, events.size());
    }

    @Override
    public Future<RecordMetadata> sendDeadLetter(String key, DeadLetter letter) {
        deadLetters.add(letter);
        return ack(Topics.AUDIT_DLQ, deadLetters.size());
    }

    private static Future<RecordMetadata> ack(String topic, int offset) {
        return CompletableFuture.completedFuture(new RecordMetadata(new TopicPartition(topic, 0), offset, 0, 0L, 0, 0));
    }
}
