package dev.firebreak.export.ocsf;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kind of record Firebreak exports, validated against the OCSF 1.8.0 classes compiled from the
 * OCSF project's own schema source ({@link OcsfSchema}).
 */
class OcsfMapperTest {
    private static final long T = 1_765_000_000_123_456L;
    private static final OcsfMapper MAPPER = new OcsfMapper("0.1.0");
    private static OcsfSchema ocsf;

    @BeforeAll
    static void load() throws Exception {
        ocsf = new OcsfSchema(Set.of());
        assertThat(ocsf.version()).isEqualTo(OcsfMapper.OCSF_VERSION);
    }

    @Test
    void aPostgresDropIsAValidDatastoreActivityDelete() {
        ObjectNode out = MAPPER.audit(pgEvent("DROP TABLE", "10.1.2.3"));

        assertThat(ocsf.validate("datastore_activity", out)).isEmpty();
        assertThat(out.get("class_uid").asInt()).isEqualTo(6005);
        assertThat(out.get("activity_id").asInt()).isEqualTo(7);
        assertThat(out.get("type_uid").asLong()).isEqualTo(600507);
        assertThat(out.get("time").asLong()).isEqualTo(T / 1000);
        assertThat(out.at("/actor/user/uid").asText()).isEqualTo("pg:main/deployer_rw");
        assertThat(out.at("/src_endpoint/ip").asText()).isEqualTo("10.1.2.3");
        assertThat(out.at("/query_info/query_string").asText()).isEqualTo("DROP TABLE public.orders");
        assertThat(out.at("/unmapped/firebreak/lsn").asLong()).isEqualTo(123_456_789L);
    }

    @Test
    void everyCommandTagMapsToAValidActivity() {
        for (String tag : List.of("CREATE TABLE", "ALTER TABLE", "INSERT", "SELECT", "TRUNCATE TABLE", "DELETE",
                "UPDATE", "DO", "DROP SCHEMA")) {
            ObjectNode out = MAPPER.audit(pgEvent(tag, null));
            assertThat(ocsf.validate("datastore_activity", out)).as(tag).isEmpty();
            assertThat(out.get("type_uid").asLong()).isEqualTo(600500 + out.get("activity_id").asInt());
        }
    }

    @ParameterizedTest
    @EnumSource(value = AuditSource.class, names = {"AGENT_ACTION_HTTP", "AGENT_ACTION_TABLE"})
    void anAgentActionIsAValidApiActivity(AuditSource source) {
        AuditEvent e = AuditEvent.newBuilder(pgEvent("volumeDelete", null)).setSource(source).setPrincipal("agent:cleanup-bot")
                .setDatabase(null).setSessionUser(null).setStatement("curl -X POST https://backboard.railway.app/graphql/v2")
                .setLinkedPrincipals(List.of("token:railway/3f9a")).setAttributes(Map.of("tool", "bash", "run_id", "r-17"))
                .build();
        ObjectNode out = MAPPER.audit(e);

        assertThat(ocsf.validate("api_activity", out)).isEmpty();
        assertThat(out.get("class_uid").asInt()).isEqualTo(6003);
        assertThat(out.get("activity_id").asInt()).isEqualTo(4);
        assertThat(out.at("/api/operation").asText()).isEqualTo("volumeDelete");
        assertThat(out.at("/api/service/name").asText()).isEqualTo("bash");
        assertThat(out.at("/unmapped/firebreak/linked_principals/0").asText()).isEqualTo("token:railway/3f9a");
    }

    @ParameterizedTest
    @EnumSource(value = AlertKind.class, names = {"RULE_TRIGGERED", "REVOCATION_REFUSED", "REVOCATION_FAILED"})
    void everyAlertIsAValidDetectionFinding(AlertKind kind) {
        ObjectNode out = MAPPER.alert(alert(kind, Severity.CRITICAL));

        assertThat(ocsf.validate("detection_finding", out)).isEmpty();
        assertThat(out.get("class_uid").asInt()).isEqualTo(2004);
        assertThat(out.get("type_uid").asLong()).isEqualTo(200401);
        assertThat(out.get("severity_id").asInt()).isEqualTo(5);
        assertThat(out.at("/finding_info/uid").asText()).isEqualTo("alert-1");
        assertThat(out.at("/finding_info/analytic/name").asText()).isEqualTo("drop-burst");
        assertThat(out.at("/finding_info/types/0").asText()).isEqualTo(kind.name());
    }

    @ParameterizedTest
    @EnumSource(value = Severity.class, names = {"INFO", "WARNING", "HIGH", "CRITICAL"})
    void everySeverityIsAnOcsfSeverity(Severity severity) {
        assertThat(ocsf.validate("detection_finding", MAPPER.alert(alert(AlertKind.RULE_TRIGGERED, severity)))).isEmpty();
    }

    @Test
    void theCompiledSchemaRejectsWhatOcsfDoesNotAllow() {
        // the validation can fail: a wrong class id, a missing required attribute, an unknown one, a bad enum value
        ObjectNode good = MAPPER.alert(alert(AlertKind.RULE_TRIGGERED, Severity.HIGH));
        assertThat(ocsf.validate("detection_finding", good.deepCopy().put("class_uid", 2005))).isNotEmpty();
        ObjectNode noInfo = good.deepCopy();
        noInfo.remove("finding_info");
        assertThat(ocsf.validate("detection_finding", noInfo)).isNotEmpty();
        assertThat(ocsf.validate("detection_finding", good.deepCopy().put("firebreak_rule", "x"))).isNotEmpty();
        assertThat(ocsf.validate("detection_finding", good.deepCopy().put("severity_id", 42))).isNotEmpty();
        ObjectNode noVersion = MAPPER.audit(pgEvent("DROP TABLE", null));
        ((ObjectNode) noVersion.get("metadata")).remove("version");
        assertThat(ocsf.validate("datastore_activity", noVersion)).isNotEmpty();
    }

    static AuditEvent pgEvent(String action, String clientAddr) {
        return AuditEvent.newBuilder().setEventId("pg:main/0/123456789").setPrincipal("pg:main/deployer_rw")
                .setSource(AuditSource.POSTGRES_EVENT_TRIGGER).setAction(action).setEventTimeUs(T)
                .setCapturedTimeUs(T + 2_000).setCluster("main").setDatabase("shop").setSessionUser("deployer_rw")
                .setEffectiveUser("deployer_rw").setBackendPid(4242).setTxid(777L).setApplicationName("psql")
                .setClientAddr(clientAddr).setStatement(action + " public.orders").setStatementTruncated(false)
                .setObjects(List.of(AffectedObject.newBuilder().setObjectType("table").setSchemaName("public")
                        .setObjectName("orders").setIdentity("public.orders").setOriginal(true).build()))
                .setLsn(123_456_789L).setDestructive(true).build();
    }

    static Alert alert(AlertKind kind, Severity severity) {
        return Alert.newBuilder().setAlertId("alert-1").setKind(kind).setSeverity(severity).setRuleId("drop-burst")
                .setPrincipal("pg:main/deployer_rw").setOwner("agent:deployer").setSummary("deployer_rw dropped 12 tables in 5 s")
                .setResponse(Response.REVOKE).setWindowStartUs(T - 5_000_000).setWindowEndUs(T).setObserved(12)
                .setThreshold(10).setTriggerEventId("pg:main/0/1").setTriggerEventTimeUs(T).setRecoveryLsn(1L)
                .setRecoveryTimeUs(T - 5_000_000).setSampleStatements(List.of("DROP TABLE a")).setBackendPids(List.of(4242))
                .setCreatedTimeUs(T + 1_000).setTriage("Check what the agent was asked to do").setTags(List.of("ddl"))
                .build();
    }
}
