package dev.firebreak.ingest.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AgentActionParserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant RECEIVED = Instant.parse("2025-04-25T10:00:00Z");
    private final AgentActionParser parser = new AgentActionParser(100);

    @Test
    void fullJsonRecord() throws Exception {
        AgentAction a = parser.fromJson(json("""
                {"agent_id": "cursor-7", "run_id": "run-42", "credential": "token:railway/abc123", "tool": "bash",
                 "input": "ls -la", "target_environment": "production", "occurred_at": "2025-04-25T09:59:58.123+02:00",
                 "action_id": "a-1", "http": {"method": "post", "url": "https://backboard.railway.app/graphql/v2",
                 "body": {"query": "mutation { volumeDelete(volumeId: \\"3d2c\\") }"}}}
                """), RECEIVED);
        assertThat(a.agentId()).isEqualTo("cursor-7");
        assertThat(a.principal()).isEqualTo("agent:cursor-7");
        assertThat(a.runId()).isEqualTo("run-42");
        assertThat(a.linkedPrincipal()).contains("token:railway/abc123");
        assertThat(a.tool()).isEqualTo("bash");
        assertThat(a.input()).isEqualTo("ls -la");
        assertThat(a.targetEnvironment()).isEqualTo("production");
        assertThat(a.occurredAt()).isEqualTo(Instant.parse("2025-04-25T07:59:58.123Z"));
        assertThat(a.occurredAtDefaulted()).isFalse();
        assertThat(a.actionId()).isEqualTo("a-1");
        assertThat(a.http().method()).isEqualTo("POST");
        assertThat(a.http().body()).isEqualTo("{\"query\":\"mutation { volumeDelete(volumeId: \\\"3d2c\\\") }\"}");
        assertThat(a.rowId()).isNull();
    }

    @Test
    void minimalJsonRecordTakesTheReceiveTime() throws Exception {
        AgentAction a = parser.fromJson(json("{\"agent_id\": \"a\", \"tool\": \"mystery-tool\", \"input\": \"x\"}"), RECEIVED);
        assertThat(a.occurredAt()).isEqualTo(RECEIVED);
        assertThat(a.occurredAtDefaulted()).isTrue();
        assertThat(a.runId()).isNull();
        assertThat(a.credential()).isNull();
        assertThat(a.http()).isNull();
    }

    @Test
    void epochMillisAndBlankOptionals() throws Exception {
        AgentAction a = parser.fromJson(json("""
                {"agent_id": "a", "tool": "psql", "input": "select 1", "occurred_at": 1745575190000,
                 "run_id": "  ", "target_environment": null, "credential": ""}
                """), RECEIVED);
        assertThat(a.occurredAt()).isEqualTo(Instant.ofEpochMilli(1745575190000L));
        assertThat(a.runId()).isNull();
        assertThat(a.targetEnvironment()).isNull();
        assertThat(a.credential()).isNull();
    }

    @Test
    void freeTextCredentialIsKeptButNotLinked() throws Exception {
        AgentAction a = parser.fromJson(json("{\"agent_id\": \"a\", \"tool\": \"t\", \"input\": \"x\","
                + " \"credential\": \"the deploy key in CI\"}"), RECEIVED);
        assertThat(a.credential()).isEqualTo("the deploy key in CI");
        assertThat(a.linkedPrincipal()).isEmpty();
    }

    @Test
    void pgAndAgentCredentialsAreLinked() throws Exception {
        assertThat(parser.fromJson(json("{\"agent_id\": \"a\", \"tool\": \"t\", \"input\": \"x\","
                + " \"credential\": \"pg:main/app_rw\"}"), RECEIVED).linkedPrincipal()).contains("pg:main/app_rw");
        assertThat(parser.fromJson(json("{\"agent_id\": \"a\", \"tool\": \"t\", \"input\": \"x\","
                + " \"credential\": \"agent:orchestrator\"}"), RECEIVED).linkedPrincipal()).contains("agent:orchestrator");
    }

    static Stream<Arguments> badJsonRecords() {
        String ok = "\"tool\": \"bash\", \"input\": \"ls\"";
        return Stream.of(
                Arguments.of("{" + ok + "}", "agent_id", "is required"),
                Arguments.of("{\"agent_id\": \"\", " + ok + "}", "agent_id", "is required"),
                Arguments.of("{\"agent_id\": \"bad agent\", " + ok + "}", "agent_id", "must match"),
                Arguments.of("{\"agent_id\": \"" + "a".repeat(129) + "\", " + ok + "}", "agent_id", "must match"),
                Arguments.of("{\"agent_id\": 7, " + ok + "}", "agent_id", "must be a string, was NUMBER"),
                Arguments.of("{\"agent_id\": \"a\", \"input\": \"ls\"}", "tool", "is required"),
                Arguments.of("{\"agent_id\": \"a\", \"tool\": \"my tool\", \"input\": \"ls\"}", "tool", "without blanks"),
                Arguments.of("{\"agent_id\": \"a\", \"tool\": \"bash\"}", "input", "is required"),
                Arguments.of("{\"agent_id\": \"a\", \"tool\": \"bash\", \"input\": \"\"}", "input", "is required"),
                Arguments.of("{\"agent_id\": \"a\", \"tool\": \"bash\", \"input\": [\"ls\"]}", "input", "must be a string"),
                Arguments.of("{\"agent_id\": \"a\", \"tool\": \"bash\", \"input\": \"" + "x".repeat(101) + "\"}", "input",
                        "101 characters, more than the limit of 100"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"run_id\": \"r\\u0007\"}", "run_id", "control characters"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"run_id\": \"" + "r".repeat(257) + "\"}", "run_id", "257"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"target_environment\": {}}", "target_environment",
                        "must be a string, was OBJECT"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"credential\": \"token:railway\"}", "credential",
                        "token:<issuer>/<id>"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"credential\": \"pg:Main/role\"}", "credential",
                        "pg:<cluster>/<role>"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"occurred_at\": \"yesterday\"}", "occurred_at", "ISO-8601"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"occurred_at\": \"2025-04-25T10:00:00\"}", "occurred_at",
                        "with an offset"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"occurred_at\": 1745575190}", "occurred_at", "epoch seconds"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"occurred_at\": 1.5}", "occurred_at", "epoch milliseconds"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"occurred_at\": true}", "occurred_at", "epoch milliseconds"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"occurred_at\": \"2025-04-25T10:06:00Z\"}", "occurred_at",
                        "ahead of the receiver's clock"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"occurred_at\": \"2025-04-25T10:00:05.001Z\"}", "occurred_at",
                        "more than 5000 ms ahead of the receiver's clock"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"occurred_at\": 1745575205001}", "occurred_at",
                        "more than 5000 ms ahead"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"occurred_at\": \"1999-12-31T23:59:59Z\"}", "occurred_at",
                        "before 2000-01-01"),
                // would overflow the event's microseconds (an uncaught ArithmeticException, a 500, before)
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"occurred_at\": \"-999999999-01-01T00:00:00Z\"}",
                        "occurred_at", "before 2000-01-01"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"action_id\": \"no spaces please\"}", "action_id", "must match"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"credentail\": \"token:a/b\"}", "credentail",
                        "is not a known field"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"http\": \"POST /\"}", "http", "must be an object"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"http\": {\"url\": \"https://x\"}}", "http.method", "is required"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"http\": {\"method\": \"P O\", \"url\": \"u\"}}", "http.method",
                        "HTTP method"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"http\": {\"method\": \"GET\"}}", "http.url", "is required"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"http\": {\"method\": \"GET\", \"url\": \"u\", \"hdrs\": 1}}",
                        "http.hdrs", "is not a known field"),
                Arguments.of("{\"agent_id\": \"a\", " + ok + ", \"http\": {\"method\": \"GET\", \"url\": \"u\", \"body\": \""
                        + "b".repeat(101) + "\"}}", "http.body", "more than the limit"),
                Arguments.of("[1]", "(record)", "must be a JSON object"));
    }

    @ParameterizedTest(name = "{1}: {2}")
    @MethodSource("badJsonRecords")
    void everyJsonErrorNamesTheField(String record, String field, String problem) {
        assertThatThrownBy(() -> parser.fromJson(json(record).isArray() ? json(record).get(0) : json(record), RECEIVED))
                .isInstanceOfSatisfying(MalformedActionException.class, e -> {
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.getMessage()).startsWith("field '" + field + "' ").contains(problem);
                });
    }

    @Test
    void aMalformedCredentialIsNeverEchoed() {
        assertThatThrownBy(() -> parser.fromJson(json("{\"agent_id\": \"a\", \"tool\": \"t\", \"input\": \"x\","
                + " \"credential\": \"token:s3cr3t-value with space\"}"), RECEIVED))
                .isInstanceOf(MalformedActionException.class)
                .hasMessageNotContaining("s3cr3t");
    }

    @Test
    void longRejectedValuesAreCutInMessages() {
        assertThatThrownBy(() -> parser.fromJson(json("{\"agent_id\": \"" + "x ".repeat(100) + "\", \"tool\": \"t\","
                + " \"input\": \"x\"}"), RECEIVED))
                .hasMessageContaining("'... (200 chars)")
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(200));
    }

    @Test
    void rejectedValuesCannotForgeLogLines() {
        assertThatThrownBy(() -> parser.fromJson(json("{\"agent_id\": \"a\\nINFO forged\", \"tool\": \"t\","
                + " \"input\": \"x\"}"), RECEIVED))
                .hasMessageContaining("'a\\u000aINFO forged'")
                .hasMessageNotContaining("\n");
    }

    @Test
    void tableRow() throws Exception {
        Map<String, Object> row = row();
        row.put("extra_column", "ignored");
        AgentAction a = parser.fromRow(row);
        assertThat(a.rowId()).isEqualTo(17L);
        assertThat(a.agentId()).isEqualTo("claude-1");
        assertThat(a.occurredAt()).isEqualTo(Instant.parse("2025-04-25T10:15:30.123456Z"));
        assertThat(a.occurredAtDefaulted()).isFalse();
        assertThat(a.linkedPrincipal()).contains("token:railway/abc123");
    }

    @Test
    void tableRowTimeTypes() throws Exception {
        Map<String, Object> row = row();
        row.put("occurred_at", Instant.parse("2025-04-25T10:15:30Z"));
        assertThat(parser.fromRow(row).occurredAt()).isEqualTo(Instant.parse("2025-04-25T10:15:30Z"));
        row.put("occurred_at", java.util.Date.from(Instant.parse("2025-04-25T10:15:30Z")));
        assertThat(parser.fromRow(row).occurredAt()).isEqualTo(Instant.parse("2025-04-25T10:15:30Z"));
        row.put("occurred_at", 1745575190000L);
        assertThat(parser.fromRow(row).occurredAt()).isEqualTo(Instant.ofEpochMilli(1745575190000L));
    }

    static Stream<Arguments> badRows() {
        return Stream.of(
                Arguments.of("id", null, "is required"),
                Arguments.of("id", "17", "must be a number"),
                Arguments.of("agent_id", "agent with spaces", "must match"),
                Arguments.of("agent_id", null, "is required"),
                Arguments.of("tool", null, "is required"),
                Arguments.of("input", "x".repeat(101), "more than the limit"),
                Arguments.of("occurred_at", null, "is required"),
                Arguments.of("occurred_at", "not a time", "ISO-8601"),
                Arguments.of("credential", "pg:/nobody", "pg:<cluster>/<role>"),
                Arguments.of("run_id", 42, "must be a string"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("badRows")
    void everyRowErrorNamesTheColumn(String column, Object value, String problem) {
        Map<String, Object> row = row();
        row.put(column, value);
        assertThatThrownBy(() -> parser.fromRow(row))
                .isInstanceOfSatisfying(MalformedActionException.class, e -> {
                    assertThat(e.field()).isEqualTo(column);
                    assertThat(e.getMessage()).contains(problem);
                });
    }

    @Test
    void futureTimesUpToTheSkewAndAnyPastTimeSince2000AreKept() throws Exception {
        String base = "{\"agent_id\": \"a\", \"tool\": \"bash\", \"input\": \"ls\", \"occurred_at\": ";
        assertThat(parser.fromJson(json(base + "\"2025-04-25T10:00:05Z\"}"), RECEIVED).occurredAt())
                .isEqualTo(Instant.parse("2025-04-25T10:00:05Z"));
        // replays: far in the past is fine
        assertThat(parser.fromJson(json(base + "\"2000-01-01T00:00:00Z\"}"), RECEIVED).occurredAt())
                .isEqualTo(Instant.parse("2000-01-01T00:00:00Z"));
        AgentActionParser strict = new AgentActionParser(100, java.time.Duration.ZERO);
        assertThat(strict.fromJson(json(base + "\"2025-04-25T10:00:00Z\"}"), RECEIVED).occurredAt()).isEqualTo(RECEIVED);
        assertThatThrownBy(() -> strict.fromJson(json(base + "\"2025-04-25T10:00:00.001Z\"}"), RECEIVED))
                .isInstanceOfSatisfying(MalformedActionException.class, e -> assertThat(e.field()).isEqualTo("occurred_at"));
        AgentActionParser lenient = new AgentActionParser(100, java.time.Duration.ofMinutes(10));
        assertThat(lenient.fromJson(json(base + "\"2025-04-25T10:06:00Z\"}"), RECEIVED).occurredAt())
                .isEqualTo(Instant.parse("2025-04-25T10:06:00Z"));
    }

    @Test
    void rowsHaveNoClockCheck() throws Exception {
        // The database clock stamps rows; a skew between it and ingest must not dead-letter every row.
        Map<String, Object> row = row();
        row.put("occurred_at", "2999-01-01T00:00:00Z");
        assertThat(parser.fromRow(row).occurredAt()).isEqualTo(Instant.parse("2999-01-01T00:00:00Z"));
    }

    private static Map<String, Object> row() {
        Map<String, Object> row = new HashMap<>();
        row.put("id", 17L);
        row.put("agent_id", "claude-1");
        row.put("run_id", "run-1");
        row.put("credential", "token:railway/abc123");
        row.put("tool", "bash");
        row.put("input", "ls");
        row.put("target_environment", "production");
        row.put("occurred_at", "2025-04-25T10:15:30.123456Z");
        return row;
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }
}
