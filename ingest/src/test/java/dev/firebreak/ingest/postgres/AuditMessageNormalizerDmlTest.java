package dev.firebreak.ingest.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The statement-level kinds written by the table triggers of V2: {@code dml} and {@code truncate}. */
class AuditMessageNormalizerDmlTest {
    private static final String DELETE = """
            {"v":1,"kind":"dml","tag":"DELETE","rows":500,"statement":"SELECT app.purge()","statement_length":18,
             "session_user":"alice","effective_user":"owner_c","role_setting":"none","backend_pid":4242,"txid":"901",
             "application_name":"bot","client_addr":"10.0.0.7","database":"shop","clock_us":1795000000123456,
             "objects":[{"type":"table","schema":"app","name":"orders","identity":"app.orders","original":true}]}""";

    private final AuditMessageNormalizer normalizer = new AuditMessageNormalizer("prod-eu");

    private AuditEvent normalize(String body) throws MalformedMessageException {
        return normalizer.normalize(body.getBytes(StandardCharsets.UTF_8), 0xABCL, 5);
    }

    @Test
    void deleteCarriesItsRowCountAndBothIdentities() throws Exception {
        AuditEvent e = normalize(DELETE);
        assertThat(e.getAction()).isEqualTo("DELETE");
        assertThat(e.getRowCount()).isEqualTo(500L);
        assertThat(e.getDestructive()).isTrue();
        assertThat(e.getPrincipal()).isEqualTo("pg:prod-eu/alice");
        assertThat(e.getSessionUser()).isEqualTo("alice");
        assertThat(e.getEffectiveUser()).isEqualTo("owner_c");
        assertThat(e.getTxid()).isEqualTo(901L);
        assertThat(e.getEventId()).isEqualTo("pg:prod-eu/abc");
        assertThat(e.getAttributes()).containsEntry("trigger", "dml").doesNotContainKey("role_setting");
        assertThat(e.getObjects()).extracting(AffectedObject::getObjectType, AffectedObject::getSchemaName,
                        AffectedObject::getObjectName, AffectedObject::getIdentity, AffectedObject::getOriginal)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("table", "app", "orders", "app.orders", true));
    }

    @Test
    void updateOfRowsIsDestructive() throws Exception {
        AuditEvent e = normalize(DELETE.replace("\"tag\":\"DELETE\"", "\"tag\":\"UPDATE\"").replace("\"rows\":500", "\"rows\":3"));
        assertThat(e.getAction()).isEqualTo("UPDATE");
        assertThat(e.getRowCount()).isEqualTo(3L);
        assertThat(e.getDestructive()).isTrue();
    }

    @Test
    void statementThatTouchedNoRowIsNotDestructive() throws Exception {
        AuditEvent e = normalize(DELETE.replace("\"rows\":500", "\"rows\":0"));
        assertThat(e.getRowCount()).isZero();
        assertThat(e.getDestructive()).isFalse();
    }

    @Test
    void truncateIsDestructiveWithoutARowCount() throws Exception {
        AuditEvent e = normalize(DELETE.replace("\"kind\":\"dml\"", "\"kind\":\"truncate\"")
                .replace("\"tag\":\"DELETE\"", "\"tag\":\"TRUNCATE\"").replace("\"rows\":500", "\"rows\":null"));
        assertThat(e.getAction()).isEqualTo("TRUNCATE");
        assertThat(e.getRowCount()).isNull();
        assertThat(e.getDestructive()).isTrue();
        assertThat(e.getAttributes()).containsEntry("trigger", "truncate");
    }

    @Test
    void ddlEventsHaveNoRowCountAndStayNonDestructive() throws Exception {
        AuditEvent e = normalize(DELETE.replace("\"kind\":\"dml\"", "\"kind\":\"ddl_command_end\"")
                .replace("\"tag\":\"DELETE\"", "\"tag\":\"ALTER TABLE\"").replace("\"rows\":500,", ""));
        assertThat(e.getRowCount()).isNull();
        assertThat(e.getDestructive()).isFalse();
    }

    @Test
    void setRoleIsKeptAsAttribute() throws Exception {
        AuditEvent e = normalize(DELETE.replace("\"role_setting\":\"none\"", "\"role_setting\":\"owner_c\""));
        assertThat(e.getAttributes()).containsEntry("role_setting", "owner_c");
    }

    @Test
    void badRowCountsAreRejected() {
        assertThatThrownBy(() -> normalize(DELETE.replace("\"rows\":500", "\"rows\":\"many\"")))
                .isInstanceOf(MalformedMessageException.class).hasMessageContaining("'rows' must be an integer");
        assertThatThrownBy(() -> normalize(DELETE.replace("\"rows\":500", "\"rows\":-1")))
                .isInstanceOf(MalformedMessageException.class).hasMessageContaining("'rows' must not be negative");
    }
}
