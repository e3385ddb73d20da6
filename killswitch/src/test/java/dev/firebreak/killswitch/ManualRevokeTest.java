package dev.firebreak.killswitch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.schema.RevokeCommand;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManualRevokeTest {

    @Test
    void theCommandTargetsThePrincipalByDefaultAndCarriesOperatorAndReason() {
        RevokeCommand c = ManualRevoke.command("pg:main/app_rw", List.of(), " alice ", "INC-42: leaked", true, 1_000);

        assertThat(c.getCommandId()).startsWith("manual/").isEqualTo(c.getTriggerEventId());
        assertThat(c.getRuleId()).isEqualTo(ManualRevoke.RULE_ID);
        assertThat(c.getTargets()).containsExactly("pg:main/app_rw");
        assertThat(c.getOperator()).isEqualTo("alice");
        assertThat(c.getReason()).isEqualTo("INC-42: leaked");
        assertThat(c.getDryRun()).isTrue();
        assertThat(c.getSignature()).as("signed only when published").isNull();
        assertThat(ManualRevoke.command("agent:deployer", List.of("pg:main/a", "token:paas/t", "pg:main/a"), "a", "r",
                false, 1).getTargets()).containsExactly("pg:main/a", "token:paas/t");
    }

    @Test
    void badInputIsRefusedWithAClearMessage() {
        assertThatThrownBy(() -> ManualRevoke.command("app_rw", List.of(), "a", "r", false, 1))
                .hasMessageContaining("no namespace prefix");
        assertThatThrownBy(() -> ManualRevoke.command("pg:main/a", List.of("pg:/x"), "a", "r", false, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ManualRevoke.command("pg:main/a", List.of(), " ", "r", false, 1))
                .hasMessage("operator is required and must not be blank");
        assertThatThrownBy(() -> ManualRevoke.command("pg:main/a", List.of(), "a", "x".repeat(1001), false, 1))
                .hasMessage("reason must be at most 1000 characters, has 1001");
        assertThatThrownBy(() -> ManualRevoke.command("pg:main/a", List.of(), "a\nINFO forged log line", "r", false, 1))
                .hasMessage("operator must be one line of printable text");
        List<String> many = Collections.nCopies(101, "pg:main/").stream().map(p -> p + Math.random()).toList();
        assertThatThrownBy(() -> ManualRevoke.command("pg:main/a", many, "a", "r", false, 1))
                .hasMessageContaining("at most 100 targets");
    }
}
