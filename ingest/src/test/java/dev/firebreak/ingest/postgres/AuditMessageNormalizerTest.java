package dev.firebreak.ingest.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.schema.AuditEvent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AuditMessageNormalizerTest {
    private final AuditMessageNormalizer normalizer = new AuditMessageNormalizer("prod-eu");

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final String DROP = """
            {"v":1,"kind":"sql_drop","tag":"DROP SCHEMA","statement":"DROP SCHEMA app CASCADE","statement_length":40,
             "session_user":"agent\\"x","effective_user":"owner","role_setting":"owner","backend_pid":4242,"txid":"771",
             "application_name":"bot","client_addr":"10.0.0.7","database":"shop","clock_us":1795000000123456,
             "objects":[{"type":"schema","schema":null,"name":"app","identity":"app","original":true},
                        {"type":"table","schema":"app","name":"t1","identity":"app.t1","original":false}]}""";

    @Test
    void keepsWhoDidItAndEveryDroppedObject() throws Exception {
        AuditEvent e = normalizer.normalize(json(DROP), 0x16B3A40L, 99);
        assertThat(e.getPrincipal()).isEqualTo("pg:prod-eu/agent\"x");
        assertThat(e.getEventId()).isEqualTo("pg:prod-eu/16b3a40");
        assertThat(e.getAction()).isEqualTo("DROP SCHEMA");
        assertThat(e.getSessionUser()).isEqualTo("agent\"x");
        assertThat(e.getEffectiveUser()).isEqualTo("owner");
        assertThat(e.getBackendPid()).isEqualTo(4242);
        assertThat(e.getTxid()).isEqualTo(771L);
        assertThat(e.getEventTimeUs()).isEqualTo(1795000000123456L);
        assertThat(e.getCapturedTimeUs()).isEqualTo(99);
        assertThat(e.getStatementTruncated()).isTrue();
        assertThat(e.getObjects()).hasSize(2);
        assertThat(e.getObjects().get(1).getOriginal()).isFalse();
        assertThat(e.getAttributes()).containsEntry("trigger", "sql_drop").containsEntry("role_setting", "owner");
        assertThat(e.getLsn()).isEqualTo(0x16B3A40L);
        assertThat(e.getDestructive()).isTrue();
    }

    @Test
    void theGuardsVerdictAndTheOriginBecomeBoundedAttributes() throws Exception {
        String blocked = DROP.replace("\"kind\":\"sql_drop\",", "\"kind\":\"sql_drop\",\"guard_outcome\":\"blocked\","
                + "\"guard_rule\":\"guard-statement-drops\",\"guard_reason\":\"" + "r".repeat(2000) + "\","
                + "\"origin\":\"routine\",\"routine\":\"PL/pgSQL function m.trojan() line 1 at SQL statement\","
                + "\"objects_total\":201,");
        AuditEvent e = normalizer.normalize(json(blocked), 1, 1);
        assertThat(e.getAttributes()).containsEntry("guard_outcome", "blocked")
                .containsEntry("guard_rule", "guard-statement-drops")
                .containsEntry("origin", "routine")
                .containsEntry("routine", "PL/pgSQL function m.trojan() line 1 at SQL statement")
                .containsEntry("objects_total", "201");
        assertThat(e.getAttributes().get("guard_reason")).hasSize(AuditMessageNormalizer.MAX_ATTRIBUTE_CHARS);
    }

    @Test
    void aSessionUserThatMakesNoPrincipalIsAMalformedMessage() {
        String huge = DROP.replace("\"session_user\":\"agent\\\"x\"", "\"session_user\":\"" + "u".repeat(2000) + "\"");
        assertThat(huge).contains("u".repeat(2000));
        assertThatThrownBy(() -> normalizer.normalize(json(huge), 1, 1))
                .isInstanceOfSatisfying(MalformedMessageException.class,
                        e -> assertThat(e.code()).isEqualTo(dev.firebreak.ingest.metrics.DeadLetterReason.BAD_FIELD))
                .hasMessageContaining("session_user");
    }

    @Test
    void anOversizedMessageIsRefusedBeforeParsing() {
        byte[] huge = new byte[AuditMessageNormalizer.MAX_MESSAGE_BYTES + 1];
        java.util.Arrays.fill(huge, (byte) ' ');
        assertThatThrownBy(() -> normalizer.normalize(huge, 1, 1))
                .isInstanceOfSatisfying(MalformedMessageException.class,
                        e -> assertThat(e.code()).isEqualTo(dev.firebreak.ingest.metrics.DeadLetterReason.OVERSIZED))
                .hasMessageContaining("exceeds");
    }

    @Test
    void objectsBeyondTheCapAreLeftOut() throws Exception {
        StringBuilder objects = new StringBuilder();
        for (int i = 0; i < AuditMessageNormalizer.MAX_OBJECTS + 50; i++) {
            objects.append(i == 0 ? "" : ",").append("{\"type\":\"table\",\"identity\":\"s.t").append(i).append("\"}");
        }
        AuditEvent e = normalizer.normalize(json("{\"v\":1,\"kind\":\"sql_drop\",\"tag\":\"DROP SCHEMA\","
                + "\"session_user\":\"a\",\"clock_us\":1,\"objects\":[" + objects + "]}"), 1, 1);
        assertThat(e.getObjects()).hasSize(AuditMessageNormalizer.MAX_OBJECTS);
    }

    @Test
    void grantObjectsWithoutIdentityAreKept() throws Exception {
        String grant = DROP.replace("\"tag\":\"DROP SCHEMA\"", "\"tag\":\"GRANT\"")
                .replace("\"identity\":\"app\",", "\"identity\":null,");
        AuditEvent e = normalizer.normalize(json(grant), 1, 1);
        assertThat(e.getAction()).isEqualTo("GRANT");
        assertThat(e.getObjects().get(0).getIdentity()).isEmpty();
        assertThat(e.getObjects().get(0).getObjectType()).isEqualTo("schema");
        assertThat(e.getDestructive()).isTrue(); // the fixture's kind is still sql_drop
    }

    @Test
    void sameMessageAtTheSamePositionGetsTheSameId() throws Exception {
        assertThat(normalizer.normalize(json(DROP), 7, 1).getEventId())
                .isEqualTo(normalizer.normalize(json(DROP), 7, 2).getEventId());
    }

    @Test
    void malformedMessagesAreRejectedWithTheReason() {
        assertThatThrownBy(() -> normalizer.normalize(json("not json"), 1, 1))
                .isInstanceOf(MalformedMessageException.class).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> normalizer.normalize(json("[1,2]"), 1, 1))
                .hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> normalizer.normalize(new byte[0], 1, 1)).hasMessageContaining("empty");
        assertThatThrownBy(() -> normalizer.normalize(json(DROP.replace("\"v\":1", "\"v\":9")), 1, 1))
                .hasMessageContaining("unsupported message version 9");
        assertThatThrownBy(() -> normalizer.normalize(json(DROP.replace("\"session_user\":\"agent\\\"x\",", "")), 1, 1))
                .hasMessageContaining("'session_user'");
        assertThatThrownBy(() -> normalizer.normalize(json(DROP.replace("1795000000123456", "\"soon\"")), 1, 1))
                .hasMessageContaining("'clock_us' must be an integer");
        assertThatThrownBy(() -> normalizer.normalize(json(DROP.replace("\"objects\":[", "\"objects\":{\"a\":[").replace("}]}", "}]}}")), 1, 1))
                .hasMessageContaining("'objects' must be an array");
    }
}
