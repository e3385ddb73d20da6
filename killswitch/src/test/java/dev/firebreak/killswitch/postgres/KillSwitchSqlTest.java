package dev.firebreak.killswitch.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KillSwitchSqlTest {

    @ParameterizedTest
    @ValueSource(strings = {"killswitch_lock.sql", "killswitch_restore.sql", "create_schema.sql", "installed_body.sql",
            "lock.sql", "restore.sql", "privileges.sql", "sessions.sql", "terminate_all.sql", "terminate.sql",
            "backend_pid.sql", "beat.sql", "role_upsert.sql", "role_hand_over_functions.sql", "role_lockable.sql",
            "role_grant_admin.sql", "set_local.sql"})
    void everyStatementFileLoadsWithoutTrailingBlanks(String name) {
        String sql = KillSwitchSql.load(name);
        assertThat(sql).isNotBlank().isEqualTo(sql.stripTrailing());
        // every file says what it is for before its statement
        assertThat(sql).startsWith("-- ");
    }

    @Test
    void functionBodiesAreWhatPostgresKeepsAsProsrc() {
        // the body starts right after "AS $firebreak$" and ends before the closing quote, as pg_proc.prosrc does
        assertThat(PostgresRevoker.FUNCTION_BODY).startsWith("\n-- firebreak kill switch, version 4:").endsWith("\nEND\n")
                .doesNotContain(KillSwitchSql.BODY_QUOTE);
        assertThat(PostgresRevoker.RESTORE_BODY).startsWith("\n-- firebreak kill switch restore, version 1.")
                .endsWith("\nEND\n").doesNotContain(KillSwitchSql.BODY_QUOTE);
    }

    @Test
    void aBodyIsFoundAfterItsAsClauseNotInAComment() {
        String sql = "-- quoted with $firebreak$ below\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $firebreak$SELECT 1$firebreak$;";
        assertThat(KillSwitchSql.functionBody(sql)).isEqualTo("SELECT 1");
        assertThatThrownBy(() -> KillSwitchSql.functionBody("CREATE FUNCTION f() RETURNS int AS 'SELECT 1'"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no body");
    }

    @Test
    void aMissingFileFailsNamingIt() {
        assertThatThrownBy(() -> KillSwitchSql.load("no_such.sql"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no_such.sql");
    }
}
