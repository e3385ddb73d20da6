package dev.firebreak.ingest.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class GuardPolicyInstallerTest {
    @Test
    void globsBecomeLikePatternsAndLikeMetacharactersAreLiteral() {
        assertThat(GuardPolicyInstaller.likePattern("pg:prod/etl_*")).isEqualTo("pg:prod/etl\\_%");
        assertThat(GuardPolicyInstaller.likePattern("pg:*/job?")).isEqualTo("pg:%/job_");
        assertThat(GuardPolicyInstaller.likePattern("100%\\sure")).isEqualTo("100\\%\\\\sure");
    }

    @Test
    void badSettingsFailNamingTheKeyAndTheAllowedValues() {
        assertThatThrownBy(() -> GuardConfig.fromMap(Map.of(GuardConfig.SCOPE, "everyone")))
                .hasMessage("firebreak.ingest.guard.scope=everyone is invalid; allowed: all, none, members_of:<role>");
        assertThatThrownBy(() -> GuardConfig.fromMap(Map.of(GuardConfig.OBJECTS_MAX, "0")))
                .hasMessageContaining("firebreak.ingest.objects.max=0 is invalid; allowed: 1..1000");
        assertThatThrownBy(() -> GuardConfig.fromMap(Map.of(GuardConfig.DML_IMMEDIATE_ROWS, "many")))
                .hasMessage("firebreak.ingest.dml.immediate.rows=many is not an integer");
        assertThat(GuardConfig.defaults().scope()).isEqualTo("members_of:firebreak_guarded");
        assertThat(GuardConfig.fromMap(Map.of(GuardConfig.EXPECTED_SUPERUSERS, "postgres, dba")).expectedSuperusers())
                .containsExactly("postgres", "dba");
    }
}
