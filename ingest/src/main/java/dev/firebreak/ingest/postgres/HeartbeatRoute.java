package dev.firebreak.ingest.postgres;

import dev.firebreak.ingest.metrics.IngestMetrics;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Ingest's own heartbeat messages: the engine's periodic ones, the start-up nonce that proves the
 * engine streams, and strict mode's probes ({@link CaptureBeat}). None of them is an audit event.
 */
final class HeartbeatRoute implements CaptureRoute {
    /** Prefix of the heartbeat messages ingest writes itself; never an audit prefix. */
    static final String PREFIX = "firebreak.heartbeat.v1";
    /**
     * A transactional heartbeat: it puts a COMMIT into the stream, which a restarted engine needs to
     * find where to resume.
     */
    static final String EMIT_SQL = "SELECT pg_catalog.pg_logical_emit_message(true, '" + PREFIX + "', ?)";

    private final ProbeReturned probes;
    private final IngestMetrics metrics;
    private final AtomicReference<String> last = new AtomicReference<>();

    /** Told of every probe once the batch that carried it is acknowledged ({@link CaptureBeat#returned}). */
    @FunctionalInterface
    interface ProbeReturned {
        void returned(String content, long lsn);
    }

    HeartbeatRoute(ProbeReturned probes, IngestMetrics metrics) {
        this.probes = probes;
        this.metrics = metrics;
    }

    @Override
    public boolean handles(SourceRecord record, Struct value) {
        return LogicalMessage.isMessage(value) && PREFIX.equals(LogicalMessage.prefixOf(value));
    }

    @Override
    public void route(SourceRecord record, Struct value, CaptureBatch batch) {
        LogicalMessage message = LogicalMessage.of(value);
        String text = message.text();
        if (text.startsWith(CaptureBeat.PROBE)) {
            // a probe has made the trip only once every event read before it is in Kafka
            batch.afterAcks(() -> probes.returned(text, message.lsn()));
        } else {
            last.set(text);
        }
        metrics.heartbeat(System.currentTimeMillis());
    }

    /** The body of the latest heartbeat (not probe) read, or null. */
    String last() {
        return last.get();
    }
}
