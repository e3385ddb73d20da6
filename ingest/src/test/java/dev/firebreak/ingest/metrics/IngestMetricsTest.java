package dev.firebreak.ingest.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class IngestMetricsTest {
    private static final long NOW_US = 1_763_700_000_000_000L;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @Test
    void commandTagsKeepTheirLabelAgentRulesUseTheRuleIdAndTheRestIsOther() {
        assertThat(IngestMetrics.actionLabel(event("DROP TABLE", null))).isEqualTo("DROP TABLE");
        assertThat(IngestMetrics.actionLabel(event("drop database", null))).isEqualTo("DROP DATABASE");
        assertThat(IngestMetrics.actionLabel(event("http.graphql_delete", "http-graphql-volume-delete")))
                .isEqualTo("http-graphql-volume-delete");
        assertThat(IngestMetrics.actionLabel(event("DROP TABLE users; --", null))).isEqualTo("other");
        assertThat(IngestMetrics.actionLabel(event("x", "free text with spaces"))).isEqualTo("other");
    }

    @Test
    void acknowledgedEventsAreCountedWithLagAndLastEventTime() {
        IngestMetrics metrics = new IngestMetrics(meters, CaptureSource.POSTGRES);
        metrics.acknowledged(List.of(event("DROP TABLE", null), event("DROP TABLE", null), event("CREATE TABLE", null)), NOW_US);

        assertThat(meters.counter("firebreak.ingest.events", "source", "postgres", "action", "DROP TABLE",
                "destructive", "true").count()).isEqualTo(2.0);
        var lag = meters.get("firebreak.ingest.capture.lag").tag("source", "postgres").timer();
        assertThat(lag.count()).isEqualTo(3);
        assertThat(lag.max(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(250.0);
        assertThat(meters.get("firebreak.ingest.last.event.timestamp.seconds").tag("source", "postgres").gauge().value())
                .isEqualTo(NOW_US / 1e6);
    }

    @Test
    void guardRefusalsAreCountedFromZeroForPostgresOnly() {
        IngestMetrics metrics = new IngestMetrics(meters, CaptureSource.POSTGRES);
        new IngestMetrics(meters, CaptureSource.PGLOG);
        assertThat(meters.find("firebreak.ingest.guard.refusals").counters()).hasSize(1);
        assertThat(meters.get("firebreak.ingest.guard.refusals").tag("source", "postgres").counter().count()).isZero();
        AuditEvent blocked = event("DROP TABLE", null);
        blocked.setAttributes(java.util.Map.of("guard_outcome", "blocked", "guard_rule", "pg-drop-limit"));
        AuditEvent shadow = event("DROP TABLE", null);
        shadow.setAttributes(java.util.Map.of("guard_outcome", "shadow"));
        metrics.acknowledged(List.of(blocked, shadow, event("DROP TABLE", null)), NOW_US);
        assertThat(meters.get("firebreak.ingest.guard.refusals").tag("source", "postgres").counter().count()).isEqualTo(1.0);
    }

    @Test
    void heartbeatGaugeExistsForPostgresOnly() {
        new IngestMetrics(meters, CaptureSource.POSTGRES).heartbeat(1_763_700_000_500L);
        new IngestMetrics(meters, CaptureSource.PGLOG);
        assertThat(meters.find("firebreak.ingest.heartbeat.timestamp.seconds").gauges()).hasSize(1);
        assertThat(meters.get("firebreak.ingest.heartbeat.timestamp.seconds").tag("source", "postgres").gauge().value())
                .isEqualTo(1_763_700_000.5);
    }

    @Test
    void everyDeadLetterReasonExistsFromTheStart() {
        IngestMetrics metrics = new IngestMetrics(meters, CaptureSource.AGENT_TABLE);
        metrics.deadLetter(DeadLetterReason.TRUNCATE_OF_LOG);
        assertThat(meters.find("firebreak.ingest.dead.letters").counters()).hasSize(DeadLetterReason.values().length);
        assertThat(meters.counter("firebreak.ingest.dead.letters", "source", "agent_table", "reason", "truncate_of_log")
                .count()).isEqualTo(1.0);
        new IngestMetrics(meters, CaptureSource.AGENT_HTTP);
        assertThat(meters.find("firebreak.ingest.dead.letters").tag("source", "agent_http").counters())
                .as("the HTTP path refuses instead").isEmpty();
    }

    @Test
    void onlyAcknowledgementsThatSucceedAreCountedAndOnlyOnce() throws Exception {
        IngestMetrics metrics = new IngestMetrics(meters, CaptureSource.AGENT_HTTP);
        var ok = metrics.onAcknowledged(CompletableFuture.completedFuture(
                new RecordMetadata(new TopicPartition("t", 0), 0, 0, 0L, 0, 0)), event("DELETE", null));
        var failed = metrics.onAcknowledged(CompletableFuture.failedFuture(new IllegalStateException("no broker")),
                event("DELETE", null));
        ok.get();
        ok.get();
        assertThatThrownBy(failed::get).isInstanceOf(ExecutionException.class);
        assertThat(meters.counter("firebreak.ingest.events", "source", "agent_http", "action", "DELETE",
                "destructive", "true").count()).isEqualTo(1.0);
    }

    private static AuditEvent event(String action, String classification) {
        return AuditEvent.newBuilder().setEventId("e").setPrincipal("pg:it/alice").setSource(AuditSource.POSTGRES_EVENT_TRIGGER)
                .setAction(action).setEventTimeUs(NOW_US - 250_000).setCapturedTimeUs(NOW_US).setCluster("it")
                .setDestructive(action.startsWith("DROP") || action.startsWith("DELETE") || classification != null)
                .setClassification(classification).build();
    }
}
