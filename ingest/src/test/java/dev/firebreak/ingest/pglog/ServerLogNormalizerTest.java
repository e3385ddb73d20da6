package dev.firebreak.ingest.pglog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.ingest.postgres.MalformedMessageException;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.ingest.redact.SecretRedactor;
import dev.firebreak.schema.AffectedObject;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

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
        assertThat(events).extracting(AuditEvent::getAction).containsExactly("DROP ROLE", "CREATE ROLE", "ALTER TABLESPACE");
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

    private List<AuditEvent> events(String sql) throws MalformedMessageException {
        return normalizer.normalize(line("statement: " + sql), 5);
    }

    private static List<String> names(AuditEvent e) {
        return e.getObjects().stream().map(AffectedObject::getIdentity).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "/* x */ DROP DATABASE d",
            "-- x\nDROP DATABASE d",
            "/* a /* nested */ still comment */ DROP DATABASE d",
            "DROP /* x */ DATABASE -- y\n d",
            "  \n\t/**/--\nDROP DATABASE d;"})
    void commentsAroundTheKeywordsHideNothing(String sql) throws Exception {
        List<AuditEvent> events = events(sql);
        assertThat(events).extracting(AuditEvent::getAction).containsExactly("DROP DATABASE");
        assertThat(names(events.get(0))).containsExactly("d");
        assertThat(events.get(0).getDestructive()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            // each is one SELECT and then a DROP DATABASE, for PostgreSQL; a scanner that got the literal wrong would miss it
            "SELECT E'\\''; DROP DATABASE d",
            "SELECT E'\\\\'; DROP DATABASE d",
            "SELECT 'it''s'; DROP DATABASE d",
            "SELECT $q$ ' $q$; DROP DATABASE d",
            "SELECT \"a\"\"'\" FROM t; DROP DATABASE d",
            "SELECT a$b$ FROM t; DROP DATABASE d; SELECT 1 AS x$b$",
            "/* /* */ */ DROP DATABASE d"})
    void literalsAndCommentsEndWherePostgresEndsThem(String sql) throws Exception {
        assertThat(events(sql)).extracting(AuditEvent::getAction).containsExactly("DROP DATABASE");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "SELECT 'x; DROP DATABASE y'",
            "SELECT $$; DROP DATABASE y$$",
            "SELECT $tag$ $$; DROP DATABASE y; $$ $tag$",
            "/* ; DROP DATABASE y */ SELECT 1",
            "/* /* */ ; DROP DATABASE y */ SELECT 1",
            "SELECT \"; DROP DATABASE y\" FROM t",
            "CREATE RULE r AS ON INSERT TO t DO INSTEAD (NOTIFY c; NOTIFY d)"})
    void commandsInsideLiteralsAndCommentsAreNotCommands(String sql) throws Exception {
        assertThat(events(sql)).isEmpty();
    }

    @Test
    void userAndGroupAreReportedWithPostgresCommandTags() throws Exception {
        List<AuditEvent> events = events("CREATE USER a; ALTER USER a NOLOGIN; DROP USER IF EXISTS a, \"B\", c; "
                + "CREATE GROUP g; ALTER GROUP g RENAME TO h; DROP GROUP h");
        assertThat(events).extracting(AuditEvent::getAction)
                .containsExactly("CREATE ROLE", "ALTER ROLE", "DROP ROLE", "CREATE ROLE", "ALTER ROLE", "DROP ROLE");
        assertThat(names(events.get(2))).containsExactly("a", "B", "c");
        assertThat(events).extracting(AuditEvent::getDestructive).containsExactly(false, false, true, false, false, true);
        assertThat(events.get(2).getObjects()).extracting(AffectedObject::getObjectType).containsOnly("role");
    }

    @Test
    void addingUsersToAGroupNamesTheMembers() throws Exception {
        AuditEvent e = events("ALTER GROUP admins ADD USER eve, mallory").get(0);
        assertThat(e.getAction()).isEqualTo("ALTER ROLE");
        assertThat(names(e)).containsExactly("admins", "eve", "mallory");
    }

    @Test
    void roleMembershipGrantsAreCapturedWithWhoGrantedWhatToWhom() throws Exception {
        AuditEvent e = events("GRANT pg_write_all_data, \"Admins\" TO eve, mallory WITH ADMIN OPTION GRANTED BY root").get(0);
        assertThat(e.getAction()).isEqualTo("GRANT ROLE");
        assertThat(e.getPrincipal()).isEqualTo("pg:eu/agent");
        assertThat(e.getSessionUser()).isEqualTo("agent");
        assertThat(names(e)).containsExactly("pg_write_all_data", "Admins", "eve", "mallory");
        assertThat(e.getAttributes()).containsEntry("granted_roles", "pg_write_all_data,Admins")
                .containsEntry("grantees", "eve,mallory").containsEntry("granted_by", "root");
        assertThat(e.getDestructive()).isFalse();
    }

    @Test
    void roleMembershipRevokesAreCaptured() throws Exception {
        List<AuditEvent> events = events("REVOKE admins FROM eve; REVOKE ADMIN OPTION FOR ops FROM mallory CASCADE");
        assertThat(events).extracting(AuditEvent::getAction).containsExactly("REVOKE ROLE", "REVOKE ROLE");
        assertThat(names(events.get(1))).containsExactly("ops", "mallory");
        assertThat(events.get(1).getAttributes()).containsEntry("granted_roles", "ops").containsEntry("grantees", "mallory");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GRANT SELECT ON orders TO eve",
            "GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA public TO eve",
            "GRANT UPDATE (price) ON orders TO eve",
            "REVOKE GRANT OPTION FOR USAGE ON SCHEMA s FROM eve",
            "GRANT USAGE ON FOREIGN SERVER s TO eve"})
    void privilegeGrantsAreLeftToEventTriggers(String sql) throws Exception {
        assertThat(events(sql)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "CREATE USER MAPPING FOR eve SERVER s OPTIONS (user 'eve', password 'x')",
            "CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER s",
            "ALTER USER MAPPING FOR PUBLIC SERVER s OPTIONS (SET password 'y')",
            "DROP USER MAPPING IF EXISTS FOR eve SERVER s",
            "DROP USER MAPPING FOR eve SERVER s"})
    void userMappingsAreNotRolesAndAreLeftToEventTriggers(String sql) throws Exception {
        assertThat(events(sql)).isEmpty();
    }

    @Test
    void aRoleNamedMappingIsStillARole() throws Exception {
        AuditEvent e = events("DROP USER mapping").get(0);
        assertThat(e.getAction()).isEqualTo("DROP ROLE");
        assertThat(names(e)).containsExactly("mapping");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "DO $$ BEGIN DROP ROLE mallory; END $$|DROP ROLE|mallory",
            "DO LANGUAGE plpgsql $body$ BEGIN IF true THEN DROP DATABASE scratch; END IF; END $body$|DROP DATABASE|scratch",
            "DO 'BEGIN CREATE USER eve; END'|CREATE ROLE|eve",
            "DO $$ DECLARE r text := 'x'; BEGIN EXECUTE 'GRANT admins TO eve'; END $$|GRANT ROLE|admins",
            "DO $$ BEGIN LOOP ALTER ROLE eve SUPERUSER; EXIT; END LOOP; END $$ LANGUAGE plpgsql|ALTER ROLE|eve",
            "DO E'BEGIN RAISE NOTICE \\'x\\'; DROP TABLESPACE fast; END'|DROP TABLESPACE|fast",
            "DO $$ BEGIN EXECUTE $x$ DO $y$ BEGIN DROP ROLE deep; END $y$ $x$; END $$|DROP ROLE|deep"})
    void globalCommandsWrittenInADoBlockAreSeen(String sql, String action, String object) throws Exception {
        List<AuditEvent> events = events(sql);
        assertThat(events).extracting(AuditEvent::getAction).containsExactly(action);
        assertThat(names(events.get(0)).get(0)).isEqualTo(object);
        assertThat(events.get(0).getAttributes()).containsEntry("via", "DO");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "DO $$ BEGIN EXECUTE format('DROP ROLE %I', 'mallory'); END $$",
            "DO $$ BEGIN EXECUTE 'DROP ROLE ' || 'mallory'; END $$",
            "DO $$ BEGIN RAISE NOTICE 'DROP ROLE mallory'; END $$",
            "DO $$ BEGIN DROP TABLE orders; END $$",
            "DO LANGUAGE plperl $$ spi_exec_query('DROP ROLE mallory') $$",
            "DO $$ BEGIN -- DROP ROLE mallory\n END $$"})
    void runTimeSqlAndOtherTextInADoBlockIsNotACommand(String sql) throws Exception {
        assertThat(events(sql)).isEmpty();
    }

    @Test
    void everyCommandOfADoBlockGetsItsOwnEvent() throws Exception {
        List<AuditEvent> events = events("DO $$ BEGIN CREATE ROLE a; GRANT a TO b; ELSE DROP ROLE c; END $$");
        assertThat(events).extracting(AuditEvent::getAction).containsExactly("CREATE ROLE", "GRANT ROLE", "DROP ROLE");
        assertThat(events).extracting(AuditEvent::getEventId).doesNotHaveDuplicates();
    }

    @Test
    void objectListsAreBounded() throws Exception {
        String roles = IntStream.range(0, 100).mapToObj(i -> "r" + i).collect(Collectors.joining(", "));
        AuditEvent e = new ServerLogNormalizer("eu", 4096).normalize(line("statement: DROP ROLE " + roles), 5).get(0);
        assertThat(e.getObjects()).hasSize(GlobalCommands.MAX_OBJECTS);
        assertThat(e.getAttributes()).containsEntry("objects_omitted", "36");
        AuditEvent longName = events("DROP ROLE \"" + "n".repeat(500) + "\"").get(0);
        assertThat(names(longName).get(0)).hasSize(63);
    }

    @Test
    void passwordsAreRedactedBeforeTheStatementIsPutInAnEvent() throws Exception {
        ServerLogNormalizer wide = new ServerLogNormalizer("eu", 4096);
        String sql = "CREATE ROLE eve LOGIN ENCRYPTED PASSWORD 's3cr''et'; CREATE SERVER s FOREIGN DATA WRAPPER w "
                + "OPTIONS (host 'h', password $p$hunter2$p$); ALTER USER MAPPING FOR eve SERVER s OPTIONS (SET password E'x\\'y')";
        List<AuditEvent> events = wide.normalize(line("statement: " + sql), 5);
        assertThat(events).extracting(AuditEvent::getAction).containsExactly("CREATE ROLE");
        assertThat(events.get(0).getStatement())
                .doesNotContain("s3cr").doesNotContain("hunter2").doesNotContain("x\\'y")
                .contains("PASSWORD " + SecretRedactor.REDACTED, "host 'h'", "SET password " + SecretRedactor.REDACTED);
    }

    @Test
    void redactionComesBeforeTruncation() throws Exception {
        String sql = "ALTER ROLE eve PASSWORD '" + "p".repeat(100) + "'";
        AuditEvent e = normalizer.normalize(line("statement: " + sql), 5).get(0);
        assertThat(e.getStatement()).isEqualTo("ALTER ROLE eve PASSWORD " + SecretRedactor.REDACTED);
        assertThat(e.getStatementTruncated()).isFalse();
    }

    @Test
    void deadLetteredLinesCarryNoPassword() throws Exception {
        String json = line("statement: ALTER ROLE eve PASSWORD 'hunter2'").replace("\"user\":\"agent\",", "\"detail\":\"password 'hunter3'\",");
        String redacted = ServerLogNormalizer.redactedLine(json);
        assertThat(redacted).doesNotContain("hunter2").doesNotContain("hunter3").contains("<redacted>");
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(redacted).get("pid").asInt()).isEqualTo(4242);
        assertThat(ServerLogNormalizer.redactedLine("LOG: statement: ALTER ROLE eve PASSWORD 'hunter2")).doesNotContain("hunter2");
        assertThat(ServerLogNormalizer.redactedLine("{\"message\":\"ALTER ROLE eve PASSWORD 'hunter2'")).doesNotContain("hunter2");
        assertThat(ServerLogNormalizer.redactedLine("plain text")).isEqualTo("plain text");
    }

    @Test
    void aRejectedLineIsNotQuotedInTheReason() {
        assertThatThrownBy(() -> normalizer.normalize("hunter2 PASSWORD", 5))
                .isInstanceOf(MalformedMessageException.class).hasMessageNotContaining("hunter2");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            // a DROP DATABASE only for a session with standard_conforming_strings = off, which the log does not show
            "SELECT 'a\\''; DROP DATABASE d; SELECT ''",
            // a DROP DATABASE only with it on (the default)
            "SELECT 'C:\\dir\\'; DROP DATABASE d",
            // one under both readings, reported once
            "DROP DATABASE d; SELECT 'a\\b'"})
    void eitherReadingOfBackslashesInPlainLiteralsIsCovered(String sql) throws Exception {
        assertThat(events(sql)).extracting(AuditEvent::getAction).containsExactly("DROP DATABASE");
    }
}
