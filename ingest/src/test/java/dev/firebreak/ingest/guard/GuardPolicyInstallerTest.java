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

    @Test
    void strictModeIsOffByDefaultAndBadStrictSettingsFailAtStartUp() {
        GuardConfig defaults = GuardConfig.defaults();
        assertThat(defaults.strict()).isFalse();
        assertThat(defaults.strictComponents()).containsExactly("capture");
        assertThat(defaults.heartbeatIntervalMs()).isEqualTo(2_000);
        GuardConfig on = GuardConfig.fromMap(Map.of(GuardConfig.STRICT_STALE_AFTER_MS, "30000",
                GuardConfig.STRICT_COMPONENTS, "capture, killswitch"));
        assertThat(on.strict()).isTrue();
        assertThat(on.strictComponents()).containsExactly("capture", "killswitch");
        assertThatThrownBy(() -> GuardConfig.fromMap(Map.of(GuardConfig.STRICT_STALE_AFTER_MS, "500")))
                .hasMessage("firebreak.ingest.guard.strict.stale.after.ms=500 is invalid; allowed: 0 (off) or 1000..86400000");
        assertThatThrownBy(() -> GuardConfig.fromMap(Map.of(GuardConfig.STRICT_STALE_AFTER_MS, "3000")))
                .hasMessage("firebreak.ingest.guard.strict.stale.after.ms=3000 is invalid; allowed: 0 (off) or at least twice "
                        + "firebreak.ingest.heartbeat.interval.ms (2000)");
        assertThatThrownBy(() -> GuardConfig.fromMap(Map.of(GuardConfig.STRICT_STALE_AFTER_MS, "soon")))
                .hasMessage("firebreak.ingest.guard.strict.stale.after.ms=soon is not an integer");
        assertThatThrownBy(() -> GuardConfig.fromMap(Map.of(GuardConfig.STRICT_COMPONENTS, "capture,detection")))
                .hasMessage("firebreak.ingest.guard.strict.components=capture,detection is invalid; allowed: one or more of "
                        + "capture, killswitch, comma-separated");
        assertThatThrownBy(() -> GuardConfig.fromMap(Map.of(GuardConfig.HEARTBEAT_INTERVAL_MS, "10")))
                .hasMessage("firebreak.ingest.heartbeat.interval.ms=10 is invalid; allowed: 100..60000");
    }
}
