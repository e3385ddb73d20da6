package dev.firebreak.ingest.agent;

import dev.firebreak.ingest.kafka.AuditSink;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Where the agent action paths produce to. Production uses {@link #of(AuditSink)}; tests use a
 * fake. Callers wait on the returned futures before acknowledging their source (the HTTP client,
 * the Debezium offset), so nothing is acknowledged that Kafka has not stored.
 */
public interface AuditEventSink {

    /** Produces an event to {@code firebreak.audit.events.v1}, keyed by its principal. */
    Future<RecordMetadata> send(AuditEvent event);

    /** Produces a dead letter to {@code firebreak.audit.dlq.v1}. */
    Future<RecordMetadata> sendDeadLetter(String key, DeadLetter letter);

    /** The Kafka sink of the ingest service. */
    static AuditEventSink of(AuditSink sink) {
        return new AuditEventSink() {
            @Override
            public Future<RecordMetadata> send(AuditEvent event) {
                return sink.send(event);
            }

            @Override
            public Future<RecordMetadata> sendDeadLetter(String key, DeadLetter letter) {
                return sink.sendDeadLetter(key, letter);
            }
        };
    }
}
