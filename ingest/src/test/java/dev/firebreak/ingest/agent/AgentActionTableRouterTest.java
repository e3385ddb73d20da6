package dev.firebreak.ingest.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.DeadLetter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Routing of Debezium change events of the action table, on hand-built envelopes shaped like Debezium's. */
class AgentActionTableRouterTest {
    private static final Schema ROW = SchemaBuilder.struct().name("firebreak_it.firebreak.agent_actions.Value").optional()
            .field("id", Schema.INT64_SCHEMA)
            .field("agent_id", Schema.STRING_SCHEMA)
            .field("run_id", Schema.OPTIONAL_STRING_SCHEMA)
            .field("credential", Schema.OPTIONAL_STRING_SCHEMA)
            .field("tool", Schema.STRING_SCHEMA)
            .field("input", Schema.STRING_SCHEMA)
            .field("target_environment", Schema.OPTIONAL_STRING_SCHEMA)
            .field("occurred_at", Schema.STRING_SCHEMA)
            .build();
    private static final Schema SOURCE = SchemaBuilder.struct().name("io.debezium.connector.postgresql.Source")
            .field("db", Schema.STRING_SCHEMA)
            .field("schema", Schema.STRING_SCHEMA)
            .field("table", Schema.STRING_SCHEMA)
            .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA)
            .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
            .field("ts_ms", Schema.INT64_SCHEMA)
            .build();
    private static final Schema ENVELOPE = SchemaBuilder.struct().name("firebreak_it.firebreak.agent_actions.Envelope")
            .field("before", ROW)
            .field("after", ROW)
            .field("source", SOURCE)
            .field("op", Schema.STRING_SCHEMA)
            .build();

    private final FakeSink sink = new FakeSink();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final AgentActionTableRouter router = new AgentActionTableRouter("it", AgentActionConfig.defaults(),
            new FakeActionClassifier(), sink, meters);

    @Test
    void insertBecomesAnEvent() throws Exception {
        router.route(change("c", null, row(7, "claude-1", "sql", "DROP TABLE orders"), "false")).get();
        AuditEvent e = sink.events.get(0);
        assertThat(e.getEventId()).isEqualTo("pg:it/agent_actions/7");
        assertThat(e.getSource()).isEqualTo(AuditSource.AGENT_ACTION_TABLE);
        assertThat(e.getPrincipal()).isEqualTo("agent:claude-1");
        assertThat(e.getLinkedPrincipals()).containsExactly("token:railway/abc123");
        assertThat(e.getDestructive()).isTrue();
        assertThat(e.getLsn()).isEqualTo(0xABCL);
        assertThat(e.getDatabase()).isEqualTo("postgres");
        assertThat(meters.counter("firebreak.ingest.agent.actions.accepted", "path", "table").count()).isEqualTo(1.0);
        assertThat(meters.counter("firebreak.ingest.events", "source", "agent_table", "action", "fake.sql.destructive",
                "destructive", "true").count()).as("counted once acknowledged, under the classifier rule").isEqualTo(1.0);
        assertThat(meters.get("firebreak.ingest.capture.lag").tag("source", "agent_table").timer().count()).isEqualTo(1);
        assertThat(meters.get("firebreak.ingest.last.event.timestamp.seconds").tag("source", "agent_table").gauge().value())
                .isPositive();
    }

    @Test
    void malformedRowGoesToTheDeadLetterTopicWithTheRow() throws Exception {
        router.route(change("c", null, row(8, "agent with spaces", "bash", "ls"), null)).get();
        assertThat(sink.events).isEmpty();
        DeadLetter letter = sink.deadLetters.get(0);
        assertThat(letter.getSource()).isEqualTo(AgentActionTableRouter.SOURCE_NAME);
        assertThat(letter.getReason()).contains("row 8").contains("field 'agent_id'");
        assertThat(letter.getOrigin()).contains("lsn=abc").contains("firebreak.agent_actions");
        assertThat(new String(letter.getPayload().array(), StandardCharsets.UTF_8))
                .contains("\"agent_id\":\"agent with spaces\"").contains("\"id\":8");
        assertThat(meters.counter("firebreak.ingest.dead.letters", "source", "agent_table", "reason", "bad_principal").count())
                .isEqualTo(1.0);
        assertThat(meters.find("firebreak.ingest.events").counters()).isEmpty();
    }

    @Test
    void anOversizedRowIsCutSoKafkaTakesTheDeadLetter() throws Exception {
        router.route(change("c", null, row(11, "claude-1", "bash", "x".repeat(400_000)), null)).get();
        DeadLetter letter = sink.deadLetters.get(0);
        assertThat(letter.getReason()).contains("field 'input'").contains("payload cut to 262144 of");
        assertThat(letter.getPayload().remaining()).isEqualTo(AgentActionTableRouter.DLQ_PAYLOAD_MAX_BYTES);
    }

    @Test
    void deleteIsTampering() throws Exception {
        router.route(change("d", row(9, "claude-1", "bash", "ls"), null, "false")).get();
        AuditEvent e = sink.events.get(0);
        assertThat(e.getAction()).isEqualTo(AgentActionNormalizer.TAMPERED_ACTION);
        assertThat(e.getDestructive()).isTrue();
        assertThat(e.getEventId()).isEqualTo("pg:it/agent_actions/9/delete@abc");
        assertThat(e.getEventTimeUs()).isEqualTo(1_745_575_190_000_000L);
        assertThat(e.getAttributes()).containsEntry("tampered_operation", "DELETE");
    }

    @Test
    void updateIsTamperingAttributedToTheOldRow() throws Exception {
        router.route(change("u", row(10, "claude-1", "bash", "rm -rf /"), row(10, "someone-else", "bash", "ls"), "false")).get();
        assertThat(sink.events.get(0).getPrincipal()).isEqualTo("agent:claude-1");
        assertThat(sink.events.get(0).getStatement()).isEqualTo("rm -rf /");
    }

    @Test
    void truncateGoesToTheDeadLetterTopic() throws Exception {
        router.route(change("t", null, null, "false")).get();
        assertThat(sink.events).isEmpty();
        assertThat(sink.deadLetters.get(0).getReason()).contains("TRUNCATE");
        assertThat(meters.counter("firebreak.ingest.dead.letters", "source", "agent_table", "reason", "truncate_of_log")
                .count()).isEqualTo(1.0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"true", "first", "last", "incremental", "first_in_data_collection", "TRUE"})
    void snapshotRecordsAreReads(String snapshot) {
        assertThat(AgentActionTableRouter.isSnapshotRead(change("c", null, row(1, "a", "t", "x"), snapshot))).isTrue();
    }

    @Test
    void liveRecordsAreNotSnapshotReads() {
        assertThat(AgentActionTableRouter.isSnapshotRead(change("c", null, row(1, "a", "t", "x"), "false"))).isFalse();
        assertThat(AgentActionTableRouter.isSnapshotRead(change("c", null, row(1, "a", "t", "x"), null))).isFalse();
        assertThat(AgentActionTableRouter.isSnapshotRead(change("r", null, row(1, "a", "t", "x"), null))).isTrue();
    }

    @Test
    void recognisesTheTable() {
        Struct value = change("c", null, row(1, "a", "t", "x"), null);
        assertThat(AgentActionTableRouter.isActionTable(value)).isTrue();
        value.getStruct("source").put("table", "orders");
        assertThat(AgentActionTableRouter.isActionTable(value)).isFalse();
    }

    private static Struct row(long id, String agent, String tool, String input) {
        return new Struct(ROW).put("id", id).put("agent_id", agent).put("tool", tool).put("input", input)
                .put("credential", "token:railway/abc123").put("occurred_at", "2025-04-25T10:00:00.123456Z");
    }

    private static Struct change(String op, Struct before, Struct after, String snapshot) {
        Struct source = new Struct(SOURCE).put("db", "postgres").put("schema", "firebreak").put("table", "agent_actions")
                .put("snapshot", snapshot).put("lsn", 0xABCL).put("ts_ms", 1_745_575_190_000L);
        return new Struct(ENVELOPE).put("before", before).put("after", after).put("source", source).put("op", op);
    }
}
