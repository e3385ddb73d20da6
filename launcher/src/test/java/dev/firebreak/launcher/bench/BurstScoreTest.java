package dev.firebreak.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.RevokeCommand;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Holding commands against the answer key: caught, missed, duplicated, unexpected. */
class BurstScoreTest {
    private static final String RULE = "pg-drop-table-burst";
    private static final BurstKey SINGLE = new BurstKey(0, false, "pg:b/single_0", List.of("pg:b/single_0"), List.of(2));
    private static final BurstKey LINKED = new BurstKey(1, true, "agent:owner-1", List.of("pg:b/o1_a", "pg:b/o1_b"), List.of(0, 3));
    private static final BurstKey OTHER = new BurstKey(2, false, "pg:b/single_2", List.of("pg:b/single_2"), List.of(1));

    private static RevokeCommand command(String rule, String principal, boolean dryRun) {
        return RevokeCommand.newBuilder().setCommandId(principal + "/" + rule).setRuleId(rule).setPrincipal(principal)
                .setTargets(List.of(principal)).setWindowStartUs(1).setWindowEndUs(2).setTriggerEventId("e")
                .setTriggerEventTimeUs(2).setIssuedTimeUs(3).setDryRun(dryRun).build();
    }

    @Test
    void oneCommandCatchesTwoDuplicateNoneMissesWhicheverPrincipalOfTheBurstItNames() {
        // The linked burst split over two tasks: each credential's task revoked the owner once.
        List<RevokeCommand> commands = List.of(command(RULE, "pg:b/single_0", false), command(RULE, "pg:b/o1_a", false),
                command(RULE, "agent:owner-1", false));
        BurstScore score = BurstScore.of(List.of(SINGLE, LINKED, OTHER), RULE, commands);

        assertThat(score.caught()).isEqualTo(1);
        assertThat(score.duplicated()).isEqualTo(1);
        assertThat(score.missed()).isEqualTo(1);
        assertThat(score.commandsPerBurst()).containsEntry(SINGLE, 1).containsEntry(LINKED, 2).containsEntry(OTHER, 0);
        assertThat(score.count(n -> n == 1, b -> !b.linked())).isEqualTo(1);
        assertThat(score.unexpected()).isEmpty();
    }

    @Test
    void commandsOfOtherRulesOrPrincipalsAreUnexpectedAndDryRunsIgnored() {
        List<RevokeCommand> commands = List.of(command("pg-drop-table-slow-burn", "pg:b/single_0", false),
                command(RULE, "pg:bench-c0/role_3", false), command(RULE, "pg:b/single_2", true));
        BurstScore score = BurstScore.of(List.of(SINGLE, OTHER), RULE, commands);

        assertThat(score.missed()).isEqualTo(2);
        assertThat(score.unexpected()).extracting(RevokeCommand::getPrincipal)
                .containsExactly("pg:b/single_0", "pg:bench-c0/role_3");
    }

    @Test
    void kindsNameWhetherALinkedBurstCrossesPartitions() {
        assertThat(SINGLE.kind()).isEqualTo("single credential");
        assertThat(LINKED.kind()).isEqualTo("linked, across partitions");
        assertThat(new BurstKey(3, true, "agent:o", List.of("pg:x/a", "pg:x/b"), List.of(0, 0)).kind())
                .isEqualTo("linked, one partition");
    }
}
