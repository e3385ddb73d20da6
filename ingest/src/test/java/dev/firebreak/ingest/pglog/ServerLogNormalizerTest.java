package dev.firebreak.ingest.pglog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.ingest.postgres.MalformedMessageException;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerLogNormalizerTest {
    private final ServerLogNormalizer normalizer = new ServerLogNormalizer("eu", 64);

    private static String line(String message) {
        return "{\"timestamp\":\"2026-11-21 20:40:01.123 UTC\",\"user\":\"agent\",\"dbname\":\"shop\",\"pid\":4242,"
                + "\"remote_host\":\"10.0.0.9\",\"session_id\":\"6740a1b1.1092\",\"line_num\":7,\"ps\":\"idle\","
                + "\"error_severity\":\"LOG\",\"message\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(message)
                + ",\"application_name\":\"psql\",\"backend_type\":\"client backend\"}";
    }

    @Test
    void dropDatabaseBecomesADestructiveEventOfWhoLoggedIn() throws Exception {
        List<AuditEvent> events = normalizer.normalize(line("statement: DROP DATABASE IF EXISTS \"Prod\""), 5);
        assertThat(events).hasSize(1);
        AuditEvent e = events.get(0);
        assertThat(e.getPrincipal()).isEqualTo("pg:eu/agent");
        assertThat(e.getSource()).isEqualTo(AuditSource.POSTGRES_SERVER_LOG);
        assertThat(e.getAction()).isEqualTo("DROP DATABASE");
        assertThat(e.getObjects().get(0).getObjectType()).isEqualTo("database");
        assertThat(e.getObjects().get(0).getIdentity()).isEqualTo("Prod");
        assertThat(e.getDestructive()).isTrue();
        assertThat(e.getBackendPid()).isEqualTo(4242);
        assertThat(e.getEventId()).isEqualTo("pglog:eu/6740a1b1.1092/7");
        assertThat(e.getEventTimeUs()).isEqualTo(1_795_293_601_123_000L);
    }

    @Test
    void rolesAndTablespacesInOneStatementEachGetAnEvent() throws Exception {
        List<AuditEvent> events = normalizer.normalize(line(
                "execute <unnamed>: DROP ROLE mallory; create user eve; ALTER TABLESPACE fast RENAME TO slow"), 5);
        assertThat(events).extracting(AuditEvent::getAction).containsExactly("DROP ROLE", "CREATE USER", "ALTER TABLESPACE");
        assertThat(events).extracting(e -> e.getObjects().get(0).getObjectType()).containsExactly("role", "role", "tablespace");
        assertThat(events).extracting(AuditEvent::getEventId).doesNotHaveDuplicates();
        assertThat(events.get(1).getDestructive()).isFalse();
    }

    @Test
    void whatEventTriggersSeeIsLeftToThem() throws Exception {
        assertThat(normalizer.normalize(line("statement: DROP TABLE orders"), 5)).isEmpty();
        assertThat(normalizer.normalize(line("statement: SELECT 'DROP DATABASE x'"), 5)).isEmpty();
        assertThat(normalizer.normalize(line("statement: COMMENT ON TABLE t IS 'x; DROP DATABASE y'"), 5)).isEmpty();
        assertThat(normalizer.normalize(line("connection authorized: user=agent database=shop"), 5)).isEmpty();
    }

    @Test
    void longStatementsAreTruncated() throws Exception {
        String sql = "DROP DATABASE big -- " + "x".repeat(200);
        AuditEvent e = normalizer.normalize(line("statement: " + sql), 5).get(0);
        assertThat(e.getStatement()).hasSize(64);
        assertThat(e.getStatementTruncated()).isTrue();
    }

    @Test
    void unusableLinesAreRejectedWithTheReason() {
        assertThatThrownBy(() -> normalizer.normalize("2026-11-21 LOG: plain text", 5))
                .isInstanceOf(MalformedMessageException.class).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> normalizer.normalize(line("statement: DROP DATABASE x").replace("\"user\":\"agent\",", ""), 5))
                .hasMessageContaining("'user'");
        assertThatThrownBy(() -> normalizer.normalize(line("statement: DROP DATABASE x").replace("2026-11-21 20:40:01.123 UTC", "yesterday"), 5))
                .hasMessageContaining("'timestamp'");
    }
}
