package dev.firebreak.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StageGroupTest {
    private final List<String> log = new ArrayList<>();

    @Test
    void startsInOrderDescribesEachAndClosesInReverseOnce() {
        List<String> progress = new ArrayList<>();
        FakeStage a = new FakeStage("a", log, null);
        FakeStage b = new FakeStage("b", log, null);
        StageGroup group = StageGroup.start(List.of(a, b), Duration.ofSeconds(7), progress::add);

        assertThat(progress).containsExactly("a running", "b running");
        assertThat(a.readinessGiven).isEqualTo(Duration.ofSeconds(7));
        assertThat(group.health()).isEqualTo(Health.up());
        group.close();
        group.close();
        assertThat(log).containsExactly("start a", "start b", "close b", "close a");
    }

    @Test
    void aStageThatFailsToStartClosesItselfAndEveryStageBeforeIt() {
        FakeStage a = new FakeStage("a", log, null);
        FakeStage b = new FakeStage("b", log, new IllegalStateException("b not ready"));
        FakeStage c = new FakeStage("c", log, null);

        assertThatThrownBy(() -> StageGroup.start(List.of(a, b, c), Duration.ofSeconds(1), p -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessage("b not ready");
        assertThat(log).containsExactly("start a", "start b", "close b", "close a");
    }

    @Test
    void healthNamesTheStagesThatAreNotReady() {
        FakeStage a = new FakeStage("a", log, null);
        FakeStage b = new FakeStage("b", log, null);
        try (StageGroup group = StageGroup.start(List.of(a, b), Duration.ofSeconds(1), p -> { })) {
            b.health = Health.starting("rebalancing");
            assertThat(group.health()).isEqualTo(new Health(true, false, "b: rebalancing"));
            a.health = Health.failed("engine stopped");
            assertThat(group.health()).isEqualTo(new Health(false, false, "a: engine stopped; b: rebalancing"));
        }
    }
}
