package dev.firebreak.ingest.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.ingest.metrics.CaptureSource;
import dev.firebreak.ingest.metrics.IngestMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/** The capture's routing, without an engine: which route takes which record, and what waits for the acks. */
class CaptureRoutesTest {
    private static final Schema SOURCE = SchemaBuilder.struct().field("lsn", Schema.INT64_SCHEMA)
            .field("schema", Schema.OPTIONAL_STRING_SCHEMA).field("table", Schema.OPTIONAL_STRING_SCHEMA)
            .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA).build();
    private static final Schema MESSAGE = SchemaBuilder.struct().field("prefix", Schema.STRING_SCHEMA)
            .field("content", Schema.OPTIONAL_BYTES_SCHEMA).build();
    private static final Schema MESSAGE_VALUE = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA)
            .field("source", SOURCE).field("message", MESSAGE).build();
    private static final Schema ROW_VALUE = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA)
            .field("source", SOURCE).build();

    private final IngestMetrics metrics = new IngestMetrics(new SimpleMeterRegistry(), CaptureSource.POSTGRES);

    private static SourceRecord message(String prefix, Object content, long lsn) {
        Struct value = new Struct(MESSAGE_VALUE).put("op", "m")
                .put("source", new Struct(SOURCE).put("lsn", lsn))
                .put("message", new Struct(MESSAGE).put("prefix", prefix).put("content", content));
        return record(value);
    }

    private static SourceRecord row(String schema, String table, String op, String snapshot) {
        return record(new Struct(ROW_VALUE).put("op", op)
                .put("source", new Struct(SOURCE).put("lsn", 7L).put("schema", schema).put("table", table).put("snapshot", snapshot)));
    }

    private static SourceRecord record(Struct value) {
        return new SourceRecord(Map.of(), Map.of(), "t", null, value == null ? null : value.schema(), value);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aLogicalMessageReadsItsPrefixBodyAndLsnFromBytesOrABuffer() {
        Struct bytes = (Struct) message("firebreak.audit.v1", utf8("{}"), 42).value();
        assertThat(LogicalMessage.isMessage(bytes)).isTrue();
        assertThat(LogicalMessage.of(bytes)).satisfies(m -> {
            assertThat(m.prefix()).isEqualTo("firebreak.audit.v1");
            assertThat(m.text()).isEqualTo("{}");
            assertThat(m.lsn()).isEqualTo(42);
        });
        Struct buffer = (Struct) message("p", ByteBuffer.wrap(utf8("abc")), 1).value();
        assertThat(LogicalMessage.of(buffer).text()).isEqualTo("abc");
        Struct empty = (Struct) message("p", null, 1).value();
        assertThat(LogicalMessage.of(empty).content()).isNull();
        assertThat(LogicalMessage.of(empty).text()).isEmpty();
        assertThat(LogicalMessage.isMessage((Struct) row("s", "t", "c", null).value())).isFalse();
    }

    @Test
    void eachRecordKindHasExactlyOneRoute() {
        HeartbeatRoute heartbeats = new HeartbeatRoute((content, lsn) -> { }, metrics);
        AuditMessageRoute audit = new AuditMessageRoute("it", new AuditMessageNormalizer("it"), null, metrics);
        AgentActionRowRoute agentRows = new AgentActionRowRoute(null);
        SourceRecord heartbeat = message(HeartbeatRoute.PREFIX, utf8("periodic"), 1);
        SourceRecord auditMessage = message("firebreak.audit.v1", utf8("{}"), 2);
        SourceRecord action = row("firebreak", "agent_actions", "c", "false");
        SourceRecord snapshotRead = row("firebreak", "agent_actions", "r", null);
        SourceRecord snapshotInsert = row("firebreak", "agent_actions", "c", "true");
        SourceRecord otherTable = row("public", "orders", "d", null);

        List<CaptureRoute> routes = List.of(heartbeats, audit, agentRows);
        for (SourceRecord r : List.of(heartbeat, auditMessage, action)) {
            assertThat(routes.stream().filter(route -> route.handles(r, (Struct) r.value())).count()).isEqualTo(1);
        }
        assertThat(heartbeats.handles(heartbeat, (Struct) heartbeat.value())).isTrue();
        assertThat(audit.handles(auditMessage, (Struct) auditMessage.value())).isTrue();
        assertThat(agentRows.handles(action, (Struct) action.value())).isTrue();
        // snapshot reads are history, not actions happening now; other tables belong to no route here
        for (SourceRecord r : List.of(snapshotRead, snapshotInsert, otherTable)) {
            assertThat(routes.stream().noneMatch(route -> route.handles(r, (Struct) r.value()))).isTrue();
        }
    }

    @Test
    void routesAreAskedInOrderAndTombstonesStandForNothing() {
        List<String> taken = new ArrayList<>();
        CaptureRoute everything = route("everything", taken, true);
        CaptureRoute never = route("never", taken, false);
        CaptureRoutes routes = new CaptureRoutes(List.of(never, everything, route("too late", taken, true)));
        CaptureBatch batch = new CaptureBatch();
        assertThat(routes.dispatch(message("p", null, 1), batch)).isTrue();
        assertThat(routes.dispatch(record(null), batch)).isFalse();
        assertThat(new CaptureRoutes(List.of(never)).dispatch(message("p", null, 1), batch)).isFalse();
        assertThat(taken).containsExactly("everything");
    }

    private static CaptureRoute route(String name, List<String> taken, boolean takes) {
        return new CaptureRoute() {
            @Override
            public boolean handles(SourceRecord record, Struct value) {
                return takes;
            }

            @Override
            public void route(SourceRecord record, Struct value, CaptureBatch batch) {
                taken.add(name);
            }
        };
    }

    @Test
    void aProbeReturnsOnlyAfterTheBatchIsAcknowledgedAndIsNoHeartbeat() throws Exception {
        List<String> returned = new ArrayList<>();
        HeartbeatRoute heartbeats = new HeartbeatRoute((content, lsn) -> returned.add(content + "@" + lsn), metrics);
        CaptureBatch batch = new CaptureBatch();
        SourceRecord nonce = message(HeartbeatRoute.PREFIX, utf8("nonce-1"), 5);
        SourceRecord probe = message(HeartbeatRoute.PREFIX, utf8(CaptureBeat.PROBE + "n2"), 6);
        heartbeats.route(nonce, (Struct) nonce.value(), batch);
        heartbeats.route(probe, (Struct) probe.value(), batch);
        assertThat(heartbeats.last()).isEqualTo("nonce-1");
        assertThat(returned).isEmpty();
        batch.awaitAcks();
        batch.runAfterAcks();
        assertThat(returned).containsExactly(CaptureBeat.PROBE + "n2@6");
    }

    @Test
    void anUnacknowledgedSendFailsTheBatch() throws Exception {
        CaptureBatch ok = new CaptureBatch();
        ok.await(CompletableFuture.completedFuture(null));
        ok.await(null);
        ok.awaitAcks();

        CaptureBatch failed = new CaptureBatch();
        failed.await(CompletableFuture.completedFuture(null));
        failed.await(CompletableFuture.failedFuture(new IllegalStateException("broker down")));
        assertThatThrownBy(failed::awaitAcks).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("did not acknowledge").hasRootCauseMessage("broker down");
    }
}
