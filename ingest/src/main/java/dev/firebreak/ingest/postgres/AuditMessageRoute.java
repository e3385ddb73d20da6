package dev.firebreak.ingest.postgres;

import dev.firebreak.ingest.kafka.AuditSink;
import dev.firebreak.ingest.metrics.IngestMetrics;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.Topics;
import java.nio.ByteBuffer;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event triggers' audit messages: normalised into audit events, or sent to the dead-letter topic
 * with the reason when they cannot be.
 */
final class AuditMessageRoute implements CaptureRoute {
    private static final Logger LOG = LoggerFactory.getLogger(AuditMessageRoute.class);
    /** The dead letters' {@code source}. */
    static final String SOURCE_NAME = "postgres-event-trigger";

    private final String cluster;
    private final AuditMessageNormalizer normalizer;
    private final AuditSink sink;
    private final IngestMetrics metrics;

    AuditMessageRoute(String cluster, AuditMessageNormalizer normalizer, AuditSink sink, IngestMetrics metrics) {
        this.cluster = cluster;
        this.normalizer = normalizer;
        this.sink = sink;
        this.metrics = metrics;
    }

    @Override
    public boolean handles(SourceRecord record, Struct value) {
        return LogicalMessage.isMessage(value) && !HeartbeatRoute.PREFIX.equals(LogicalMessage.prefixOf(value));
    }

    @Override
    public void route(SourceRecord record, Struct value, CaptureBatch batch) {
        LogicalMessage message = LogicalMessage.of(value);
        long lsn = message.lsn();
        byte[] content = message.content();
        try {
            AuditEvent event = normalizer.normalize(content, lsn, Micros.now());
            batch.sent(event);
            batch.await(sink.send(event));
        } catch (MalformedMessageException e) {
            metrics.deadLetter(e.code());
            LOG.warn("message at LSN {} sent to {}: {}", lsn, Topics.AUDIT_DLQ, e.getMessage());
            batch.await(sink.sendDeadLetter(SOURCE_NAME, DeadLetter.newBuilder()
                    .setSource(SOURCE_NAME)
                    .setReason(e.getMessage())
                    .setOrigin("cluster=" + cluster + " lsn=" + Long.toUnsignedString(lsn, 16))
                    .setPayload(ByteBuffer.wrap(content == null ? new byte[0] : content))
                    .setCapturedTimeUs(Micros.now())
                    .build()));
        }
    }
}
