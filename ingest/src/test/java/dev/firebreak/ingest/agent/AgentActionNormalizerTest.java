package dev.firebreak.ingest.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.firebreak.ingest.classify.ActionClassifier;
import dev.firebreak.ingest.classify.RulesActionClassifier;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AgentActionNormalizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant RECEIVED = Instant.parse("2025-04-25T10:00:00Z");
    private static final String RAILWAY_CURL = "curl -X POST https://backboard.railway.app/graphql/v2 "
            + "-H \"Authorization: Bearer [token]\" "
            + "-d '{\"query\":\"mutation { volumeDelete(volumeId: \\\"3d2c42fb\\\") }\"}'";

    private final AgentActionParser parser = new AgentActionParser(AgentActionParser.DEFAULT_INPUT_MAX_CHARS);
    private final AgentActionNormalizer normalizer = new AgentActionNormalizer("main", new FakeActionClassifier(), 32);

    @Test
    void principalsAndAttributes() throws Exception {
        AuditEvent e = normalizer.fromHttp(http("{\"agent_id\": \"cursor-7\", \"run_id\": \"r1\", \"tool\": \"psql\","
                + " \"input\": \"select 1\", \"credential\": \"token:railway/abc123\", \"target_environment\": \"prod\","
                + " \"occurred_at\": \"2025-04-25T09:00:00.000001Z\"}"), 99L);
        assertThat(e.getPrincipal()).isEqualTo("agent:cursor-7");
        assertThat(e.getLinkedPrincipals()).containsExactly("token:railway/abc123");
        assertThat(e.getSource()).isEqualTo(AuditSource.AGENT_ACTION_HTTP);
        assertThat(e.getCluster()).isEqualTo("main");
        assertThat(e.getEventTimeUs()).isEqualTo(Instant.parse("2025-04-25T09:00:00Z").getEpochSecond() * 1_000_000 + 1);
        assertThat(e.getCapturedTimeUs()).isEqualTo(99L);
        assertThat(e.getStatement()).isEqualTo("select 1");
        assertThat(e.getStatementTruncated()).isFalse();
        assertThat(e.getDestructive()).isFalse();
        assertThat(e.getAction()).isEqualTo("sql.other");
        assertThat(e.getLsn()).isNull();
        assertThat(e.getAttributes()).containsEntry("run_id", "r1").containsEntry("tool", "psql")
                .containsEntry("kind", "SQL").containsEntry("target_environment", "prod")
                .doesNotContainKey("credential").doesNotContainKey("occurred_at_defaulted");
    }

    @Test
    void pgCredentialIsLinkedAndFreeTextIsAnAttribute() throws Exception {
        assertThat(normalizer.fromHttp(http(minimal("\"credential\": \"pg:main/app_rw\"")), 0L).getLinkedPrincipals())
                .containsExactly("pg:main/app_rw");
        AuditEvent free = normalizer.fromHttp(http(minimal("\"credential\": \"CI deploy key\"")), 0L);
        assertThat(free.getLinkedPrincipals()).isEmpty();
        assertThat(free.getAttributes()).containsEntry("credential", "CI deploy key");
    }

    @Test
    void theRailwayCurlIsDestructive() throws Exception {
        AuditEvent e = normalizer.fromHttp(http("{\"agent_id\": \"cursor\", \"tool\": \"bash\", \"input\": "
                + JSON.writeValueAsString(RAILWAY_CURL) + ", \"credential\": \"token:railway/abc123\"}"), 0L);
        assertThat(e.getDestructive()).isTrue();
        assertThat(e.getClassification()).isEqualTo("fake.shell.destructive");
        assertThat(e.getAction()).isEqualTo("shell.destructive");
        assertThat(e.getStatement()).hasSize(32);
        assertThat(e.getStatementTruncated()).isTrue();
        assertThat(e.getAttributes()).containsEntry("kind", "SHELL").containsEntry("classification_reason", "deletes");
    }

    @Test
    void theRailwayCallIsDestructiveWithTheBundledRules() throws Exception {
        AgentActionNormalizer real = new AgentActionNormalizer("main", RulesActionClassifier.defaults(), 2048);
        AuditEvent shell = real.fromHttp(http("{\"agent_id\": \"cursor\", \"tool\": \"bash\", \"input\": "
                + JSON.writeValueAsString(RAILWAY_CURL) + "}"), 0L);
        assertThat(shell.getDestructive()).isTrue();
        assertThat(shell.getClassification()).isNotBlank();
        AuditEvent call = real.fromHttp(http(minimal("\"http\": {\"method\": \"POST\", \"url\": "
                + "\"https://backboard.railway.app/graphql/v2\", \"body\": {\"query\": "
                + "\"mutation { volumeDelete(volumeId: \\\"x\\\") }\"}}")), 0L);
        assertThat(call.getDestructive()).isTrue();
        assertThat(call.getAttributes()).containsEntry("kind", "HTTP");
        AuditEvent unknown = real.fromHttp(http("{\"agent_id\": \"a\", \"tool\": \"quantum-eraser\", \"input\": \"zap\"}"), 0L);
        assertThat(unknown.getAttributes()).containsEntry("kind", "OTHER");
        assertThat(unknown.getDestructive()).isFalse();
    }

    @Test
    void aReportedHttpCallIsClassifiedAsTheCall() throws Exception {
        AuditEvent e = normalizer.fromHttp(http(minimal("\"http\": {\"method\": \"POST\", \"url\": "
                + "\"https://backboard.railway.app/graphql/v2\", \"body\": {\"query\": \"mutation { volumeDelete(volumeId: \\\"x\\\") }\"}}")), 0L);
        assertThat(e.getDestructive()).isTrue();
        assertThat(e.getClassification()).isEqualTo("fake.http.delete");
        assertThat(e.getAttributes()).containsEntry("kind", "HTTP").containsEntry("http_method", "POST")
                .containsEntry("http_url", "https://backboard.railway.app/graphql/v2");
    }

    @Test
    void unknownToolsAreKeptAsOther() throws Exception {
        AuditEvent e = normalizer.fromHttp(http("{\"agent_id\": \"a\", \"tool\": \"quantum-eraser\", \"input\": \"zap\"}"), 0L);
        assertThat(e.getAction()).isEqualTo("quantum-eraser");
        assertThat(e.getDestructive()).isFalse();
        assertThat(e.getClassification()).isNull();
        assertThat(e.getAttributes()).containsEntry("kind", "OTHER").containsEntry("occurred_at_defaulted", "true");
    }

    @Test
    void httpIdsAreDeterministicAndContentAddressed() throws Exception {
        String record = "{\"agent_id\": \"a\", \"run_id\": \"r\", \"tool\": \"bash\", \"input\": \"ls\","
                + " \"occurred_at\": \"2025-04-25T09:00:00Z\"}";
        String id = normalizer.fromHttp(http(record), 1L).getEventId();
        assertThat(id).matches("agent:a/sha256:[0-9a-f]{32}");
        assertThat(normalizer.fromHttp(http(record), 2L).getEventId()).isEqualTo(id);
        assertThat(normalizer.fromHttp(http(record.replace("09:00:00Z", "09:00:00.000+00:00")), 3L).getEventId())
                .as("the same instant written differently").isEqualTo(id);
        assertThat(normalizer.fromHttp(http(record.replace("\"ls\"", "\"ls -l\"")), 1L).getEventId()).isNotEqualTo(id);
        assertThat(normalizer.fromHttp(http(record.replace("\"r\"", "\"r2\"")), 1L).getEventId()).isNotEqualTo(id);
        // A separator inside a value cannot make two records collide.
        assertThat(normalizer.fromHttp(http(record.replace("\"run_id\": \"r\", \"tool\": \"bash\"",
                "\"run_id\": \"rb\", \"tool\": \"ash\"")), 1L).getEventId()).isNotEqualTo(id);
    }

    @Test
    void clientActionIdWins() throws Exception {
        assertThat(normalizer.fromHttp(http(minimal("\"action_id\": \"step-9\"")), 0L).getEventId())
                .isEqualTo("agent:a/id:step-9");
    }

    @Test
    void tableEvents() throws Exception {
        AgentAction row = parser.fromRow(java.util.Map.of("id", 42L, "agent_id", "claude-1", "tool", "sql",
                "input", "DROP TABLE orders", "occurred_at", "2025-04-25T10:15:30Z", "credential", "pg:main/app_rw"));
        AuditEvent e = normalizer.fromTable(row, "shop", 0x1A2BL, 7L);
        assertThat(e.getEventId()).isEqualTo("pg:main/agent_actions/42");
        assertThat(e.getSource()).isEqualTo(AuditSource.AGENT_ACTION_TABLE);
        assertThat(e.getPrincipal()).isEqualTo("agent:claude-1");
        assertThat(e.getLinkedPrincipals()).containsExactly("pg:main/app_rw");
        assertThat(e.getLsn()).isEqualTo(0x1A2BL);
        assertThat(e.getDatabase()).isEqualTo("shop");
        assertThat(e.getDestructive()).isTrue();
        assertThat(e.getAttributes()).containsEntry("row_id", "42");
        assertThat(normalizer.fromTable(row, "shop", 0x1A2BL, 8L).getEventId()).isEqualTo(e.getEventId());
    }

    @Test
    void tampering() throws Exception {
        AgentAction row = parser.fromRow(java.util.Map.of("id", 42L, "agent_id", "claude-1", "tool", "bash",
                "input", "ls", "occurred_at", "2025-04-25T10:15:30Z", "credential", "token:railway/abc123"));
        AuditEvent e = normalizer.tampered(row, "DELETE", "shop", 0xFFL, 5_000_000L, 6L);
        assertThat(e.getEventId()).isEqualTo("pg:main/agent_actions/42/delete@ff");
        assertThat(e.getAction()).isEqualTo(AgentActionNormalizer.TAMPERED_ACTION);
        assertThat(e.getDestructive()).isTrue();
        assertThat(e.getClassification()).isEqualTo(AgentActionNormalizer.TAMPERED_RULE_ID);
        assertThat(e.getPrincipal()).isEqualTo("agent:claude-1");
        assertThat(e.getLinkedPrincipals()).containsExactly("token:railway/abc123");
        assertThat(e.getEventTimeUs()).isEqualTo(5_000_000L);
        assertThat(e.getAttributes()).containsEntry("tampered_operation", "DELETE").containsEntry("row_id", "42");
    }

    @Test
    void aFailingClassifierDoesNotLoseTheEvent() throws Exception {
        AgentActionNormalizer broken = new AgentActionNormalizer("main", new ThrowingClassifier(), 2048);
        AuditEvent e = broken.fromHttp(http(minimal("")), 0L);
        assertThat(e.getDestructive()).isFalse();
        assertThat(e.getAttributes()).containsEntry("kind", "OTHER").containsEntry("classification_error", "rules broken");
    }

    @Test
    void truncationNeverSplitsASurrogatePair() throws Exception {
        String input = "a".repeat(31) + "\uD83D\uDE00tail";
        AuditEvent e = normalizer.fromHttp(http("{\"agent_id\": \"a\", \"tool\": \"t\", \"input\": "
                + JSON.writeValueAsString(input) + "}"), 0L);
        assertThat(e.getStatement()).isEqualTo("a".repeat(31));
        assertThat(e.getStatementTruncated()).isTrue();
    }

    private static String minimal(String extra) {
        return "{\"agent_id\": \"a\", \"tool\": \"t\", \"input\": \"x\"" + (extra.isEmpty() ? "" : ", " + extra) + "}";
    }

    private AgentAction http(String json) throws Exception {
        return parser.fromJson(JSON.readTree(json), RECEIVED);
    }

    /** A classifier with a bug. */
    private static final class ThrowingClassifier implements ActionClassifier {
        @Override
        public Verdict classifySql(String sql) {
            throw new IllegalStateException("rules broken");
        }

        @Override
        public Verdict classifyShell(String commandLine) {
            throw new IllegalStateException("rules broken");
        }

        @Override
        public Verdict classifyHttp(String method, String url, String body) {
            throw new IllegalStateException("rules broken");
        }

        @Override
        public Verdict classify(String tool, String input) {
            throw new IllegalStateException("rules broken");
        }
    }
}
