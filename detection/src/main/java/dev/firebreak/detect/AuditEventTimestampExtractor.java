package dev.firebreak.detect;

import dev.firebreak.schema.AuditEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time of an audit record: the database clock ({@code event_time_us}), which orders a
 * principal's statements as they ran, unlike the produce time that ingest batching shifts. Falls
 * back to the record timestamp, then to partition time, when the event carries no usable time.
 */
final class AuditEventTimestampExtractor implements TimestampExtractor {
    private static final long MICROS_PER_MILLI = 1_000;

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        if (record.value() instanceof AuditInput input && input.isReadable() && input.event().getEventTimeUs() > 0) {
            return input.event().getEventTimeUs() / MICROS_PER_MILLI;
        }
        // Detection's owner events carry the event itself (read back from its own repartition topic).
        if (record.value() instanceof AuditEvent event && event.getEventTimeUs() > 0) {
            return event.getEventTimeUs() / MICROS_PER_MILLI;
        }
        if (record.timestamp() >= 0) {
            return record.timestamp();
        }
        // Negative timestamps make Streams drop the record; an audit event must never vanish.
        return Math.max(partitionTime, 0);
    }

    /** Event time in microseconds, with the same fallback as {@link #extract}. */
    static long eventTimeUs(AuditEvent event, long recordTimestampMs) {
        long us = event.getEventTimeUs();
        return us > 0 ? us : recordTimestampMs * MICROS_PER_MILLI;
    }
}
