package dev.firebreak.ingest.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.AuditEvent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The blast measures of V6 become attributes, with the statement's shape and the environment. */
class AuditMessageNormalizerBlastTest {
    private static final String DELETE = """
            {"v":1,"kind":"dml","tag":"DELETE","rows":500,"statement":"DELETE FROM app.orders WHERE 1 = 1",
             "statement_length":34,"session_user":"alice","backend_pid":4242,"clock_us":1795000000123456,
             "blast_rows":"500","blast_table_rows":"500","blast_fraction":"1.0000","blast_relations":"1",
             "blast_replaced":"false","blast_partition":"false","blast_created":"run","blast_age_s":"42",
             "unknown_blast":"ignored",
             "objects":[{"type":"table","schema":"app","name":"orders","identity":"app.orders","original":true}]}""";

    private final AuditMessageNormalizer normalizer = new AuditMessageNormalizer("prod-eu", "production");

    private AuditEvent normalize(String body) throws MalformedMessageException {
        return normalizer.normalize(body.getBytes(StandardCharsets.UTF_8), 0xABCL, 5);
    }

    @Test
    void blastMeasuresShapeAndEnvironmentBecomeAttributes() throws Exception {
        AuditEvent e = normalize(DELETE);
        assertThat(e.getAttributes()).containsEntry("blast_rows", "500").containsEntry("blast_table_rows", "500")
                .containsEntry("blast_fraction", "1.0000").containsEntry("blast_created", "run")
                .containsEntry("blast_age_s", "42").containsEntry("blast_replaced", "false")
                .containsEntry("statement_shape", "tautology").containsEntry("target_environment", "production")
                .doesNotContainKey("unknown_blast");
    }

    @Test
    void shapeIsReadForJudgedStatementsOnly() throws Exception {
        assertThat(normalize(DELETE.replace("WHERE 1 = 1", "")).getAttributes()).containsEntry("statement_shape", "no_where");
        assertThat(normalize(DELETE.replace("WHERE 1 = 1", "WHERE id < 10")).getAttributes())
                .containsEntry("statement_shape", "filtered");
        // a routine statement (no blast measures) is not parsed at all
        assertThat(normalize(DELETE.replace("\"blast_rows\":\"500\",", "")).getAttributes()).doesNotContainKey("statement_shape");
        // the client's text is several statements, or a function call: no shape rather than a guess
        assertThat(normalize(DELETE.replace("WHERE 1 = 1", "WHERE id = 1; DELETE FROM app.orders")).getAttributes())
                .doesNotContainKey("statement_shape");
        assertThat(normalize(DELETE.replace("DELETE FROM app.orders WHERE 1 = 1", "SELECT app.purge()")).getAttributes())
                .doesNotContainKey("statement_shape");
    }

    @Test
    void withoutAnEnvironmentNoneIsClaimed() throws Exception {
        AuditEvent e = new AuditMessageNormalizer("prod-eu").normalize(DELETE.getBytes(StandardCharsets.UTF_8), 1, 5);
        assertThat(e.getAttributes()).doesNotContainKey("target_environment");
    }

    @Test
    void blastValuesAreBoundedLikeEveryAttribute() throws Exception {
        String huge = "9".repeat(5000);
        AuditEvent e = normalize(DELETE.replace("\"blast_age_s\":\"42\"", "\"blast_age_s\":\"" + huge + "\""));
        assertThat(e.getAttributes().get("blast_age_s")).hasSize(AuditMessageNormalizer.MAX_ATTRIBUTE_CHARS);
    }
}
