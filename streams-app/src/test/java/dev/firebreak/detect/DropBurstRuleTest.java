package dev.firebreak.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DropBurstRuleTest {

    @Test
    void defaultsAreThreeTablesInOneSecond() {
        DropBurstRule rule = DropBurstRule.defaults();
        assertThat(rule.id()).isEqualTo("pg-drop-table-burst");
        assertThat(rule.objectTypes()).containsExactly("table");
        assertThat(rule.threshold()).isEqualTo(3);
        assertThat(rule.window()).isEqualTo(Duration.ofSeconds(1));
        assertThat(rule.episodeQuiet()).isEqualTo(Duration.ofSeconds(30));
        assertThat(rule.grace()).isEqualTo(Duration.ofSeconds(2));
        assertThat(rule.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(rule.response()).isEqualTo(Response.REVOKE);
        assertThat(rule.maxTrackedEvents()).isEqualTo(10_000);
    }

    @Test
    void objectTypesMatchWhateverTheCase() {
        DropBurstRule rule = rule("r", Set.of(" Table ", "VIEW"), 3, Duration.ofSeconds(1), Duration.ofSeconds(30));
        assertThat(rule.objectTypes()).containsExactlyInAnyOrder("table", "view");
        assertThat(rule.counts("TABLE")).isTrue();
        assertThat(rule.counts("index")).isFalse();
        assertThat(rule.counts(null)).isFalse();
    }

    @Test
    void invalidValuesAreNamed() {
        assertThatThrownBy(() -> rule("bad id!", Set.of("table"), 3, Duration.ofSeconds(1), Duration.ofSeconds(30)))
                .hasMessageStartingWith("id=bad id! is invalid");
        assertThatThrownBy(() -> rule("r", Set.of(), 3, Duration.ofSeconds(1), Duration.ofSeconds(30)))
                .hasMessageStartingWith("object.types=[] is invalid");
        assertThatThrownBy(() -> rule("r", Set.of("table"), 0, Duration.ofSeconds(1), Duration.ofSeconds(30)))
                .hasMessageStartingWith("threshold=0 is invalid");
        assertThatThrownBy(() -> rule("r", Set.of("table"), 3, Duration.ZERO, Duration.ofSeconds(30)))
                .hasMessageStartingWith("window=PT0S is invalid");
        assertThatThrownBy(() -> rule("r", Set.of("table"), 3, Duration.ofSeconds(5), Duration.ofSeconds(1)))
                .hasMessageStartingWith("episode.quiet=PT1S is invalid").hasMessageContaining("from PT5S");
        assertThatThrownBy(() -> new DropBurstRule("r", Set.of("table"), 5, Duration.ofSeconds(1),
                Duration.ofSeconds(30), Duration.ZERO, Severity.HIGH, Response.REVOKE, 4))
                .hasMessageStartingWith("max.tracked.events=4 is invalid");
    }

    private static DropBurstRule rule(String id, Set<String> types, int threshold, Duration window, Duration quiet) {
        return new DropBurstRule(id, types, threshold, window, quiet, Duration.ofSeconds(2), Severity.HIGH,
                Response.REVOKE, 10_000);
    }
}
