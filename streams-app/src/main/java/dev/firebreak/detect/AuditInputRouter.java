package dev.firebreak.detect;

import dev.firebreak.schema.DeadLetter;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends readable audit events to every detector and unreadable input to the dead letter queue. */
final class AuditInputRouter implements Processor<String, AuditInput, String, SpecificRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(AuditInputRouter.class);

    private final List<String> detectors;
    private final DetectionMetrics metrics;
    private ProcessorContext<String, SpecificRecord> context;

    AuditInputRouter(List<String> detectors, DetectionMetrics metrics) {
        this.detectors = List.copyOf(detectors);
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, AuditInput> record) {
        AuditInput input = record.value();
        if (input == null) {
            // The audit topic is not compacted; a tombstone carries nothing to count.
            LOG.debug("ignoring null audit record for {}", record.key());
        } else if (input.isReadable()) {
            metrics.evaluated(record.key() != null ? record.key() : input.event().getPrincipal(), input.event());
            for (String detector : detectors) {
                context.forward(record.withValue(input.event()), detector);
            }
        } else {
            String origin = origin();
            metrics.deadLetter(DetectionMetrics.UNREADABLE);
            LOG.warn("unreadable audit record {} for {} sent to the dead letter queue: {}", origin, record.key(), input.error());
            context.forward(new Record<>(record.key(), deadLetter(input, origin, record.timestamp()), record.timestamp()),
                    DetectionNames.AUDIT_DLQ_SINK);
        }
    }

    private String origin() {
        return context.recordMetadata()
                .map(m -> m.topic() + "-" + m.partition() + "@" + m.offset())
                .orElse(null);
    }

    private static DeadLetter deadLetter(AuditInput input, String origin, long timestampMs) {
        return DeadLetter.newBuilder()
                .setSource(DetectionNames.DEAD_LETTER_STAGE)
                .setReason(input.error())
                .setOrigin(origin)
                .setPayload(ByteBuffer.wrap(input.raw()))
                .setCapturedTimeUs(timestampMs * 1_000)
                .build();
    }
}
