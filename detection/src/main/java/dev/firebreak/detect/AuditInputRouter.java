package dev.firebreak.detect;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.Response;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends readable audit events to the rules and unreadable input to the dead letter queue. An event
 * of an unlinked principal is counted here, in its own task. An event of a credential linked to an
 * owner is re-keyed to the owner and written to {@code firebreak.detection.owner-events.v1}, so the
 * owner's task counts it (see {@link DetectionTopology}); only when some rule weighs it, since the
 * others would drop it on arrival. Baselines are per principal and always run here.
 */
final class AuditInputRouter implements Processor<String, AuditInput, String, SpecificRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(AuditInputRouter.class);

    private final List<String> detectors;
    private final List<DetectionRule> rules;
    private final boolean baseline;
    private final DetectionMetrics metrics;
    private ProcessorContext<String, SpecificRecord> context;
    private PrincipalLinks links;

    /**
     * @param detectors the rules' processors, in the order events reach them
     * @param rules     the rules, to tell whether a linked credential's event needs the hop at all
     * @param baseline  whether {@link DetectionNames#BASELINE_DETECTOR} is in the topology (it gets every event last)
     */
    AuditInputRouter(List<String> detectors, List<DetectionRule> rules, boolean baseline, DetectionMetrics metrics) {
        this.detectors = List.copyOf(detectors);
        this.rules = List.copyOf(rules);
        this.baseline = baseline;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.links = new PrincipalLinks(context.getStateStore(DetectionNames.PRINCIPAL_LINKS_STORE));
    }

    @Override
    public void process(Record<String, AuditInput> record) {
        AuditInput input = record.value();
        if (input == null) {
            // The audit topic is not compacted; a tombstone carries nothing to count.
            LOG.debug("ignoring null audit record for {}", record.key());
        } else if (input.isReadable()) {
            route(record.withValue(input.event()));
        } else {
            String origin = origin();
            metrics.deadLetter(DetectionMetrics.UNREADABLE);
            LOG.warn("unreadable audit record {} for {} sent to the dead letter queue: {}", origin, record.key(), input.error());
            context.forward(new Record<>(record.key(), deadLetter(input, origin, record.timestamp()), record.timestamp()),
                    DetectionNames.AUDIT_DLQ_SINK);
        }
    }

    private void route(Record<String, AuditEvent> record) {
        AuditEvent event = record.value();
        String principal = record.key() != null ? record.key() : event.getPrincipal();
        metrics.evaluated(principal, event);
        Record<String, SpecificRecord> out = record.withValue(event);
        String owner = links.ownerOf(principal);
        if (owner == null || owner.equals(principal)) {
            for (String detector : detectors) {
                context.forward(out, detector);
            }
        } else {
            toOwner(out.withKey(owner), event);
        }
        if (baseline) {
            context.forward(out, DetectionNames.BASELINE_DETECTOR); // last: never ahead of a rule that revokes
        }
    }

    // The hop is a write to Kafka read back by the owner's task: under exactly-once it is visible only
    // once this transaction commits. For an event a revoking rule counts, the commit is requested now,
    // as on emit, so the hop costs one transaction and one fetch instead of up to a commit interval.
    private void toOwner(Record<String, SpecificRecord> rekeyed, AuditEvent event) {
        boolean counted = false;
        boolean revoking = false;
        for (DetectionRule rule : rules) {
            if (rule.weight(event) > 0) {
                counted = true;
                revoking |= rule.effectiveResponse() == Response.REVOKE;
            }
        }
        if (!counted) {
            LOG.debug("event {} of {} (owner {}) matches no rule; not re-keyed", event.getEventId(), event.getPrincipal(),
                    rekeyed.key());
            return;
        }
        context.forward(rekeyed, DetectionNames.OWNER_EVENTS_SINK);
        if (revoking) {
            context.commit();
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
