package dev.firebreak.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.rules.DetectionRule.Maturity;
import dev.firebreak.rules.DetectionRule.Measure;
import dev.firebreak.detect.DropBurstState.TrackedEvent;
import dev.firebreak.detect.RuleDetector.Outcome;
import dev.firebreak.detect.RuleDetector.Step;
import dev.firebreak.rules.RuleMatch;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-principal state stays within its caps whatever a principal sends, and its counts never exceed the truth. */
class BoundedStateTest {
    private static final String P = "pg:prod/flood";
    private static final String LONG_STATEMENT = "DROP TABLE " + "x".repeat(5_000);
    private final DropBurstStateSerde serde = new DropBurstStateSerde();

    @Test
    void aMillionEventsKeepTheStateWithinItsCapsAndTheCountExact() {
        // 1 event per ms; 500,000 of them within the hour-long window trip the rule, not one fewer.
        RuleDetector detector = new RuleDetector(rule(Measure.EVENTS, 500_000, Duration.ofHours(1), Integer.MAX_VALUE));
        DropBurstState state = null;
        int maxBytes = 0;
        int maxEntries = 0;
        for (int i = 0; i < 1_000_000; i++) {
            Step step = detector.observe(state, event(i * 1_000L, 1, "e" + i, LONG_STATEMENT, List.of()), P);
            state = step.state();
            if (i < 499_999) {
                if (step.outcome() != Outcome.COUNTED) {
                    throw new AssertionError("event " + i + " was " + step.outcome());
                }
            } else if (i == 499_999) {
                assertThat(step.outcome()).isEqualTo(Outcome.TRIGGERED);
                assertThat(step.burst().observed()).isEqualTo(500_000);
                assertThat(step.burst().startUs()).isZero();
                assertThat(step.burst().endUs()).isEqualTo(499_999_000L);
                assertThat(step.burst().toAlert(detector.rule(), 0, null).getSampleStatements())
                        .allSatisfy(s -> assertThat(s).hasSize(DropBurstState.MAX_STATEMENT_CHARS));
            } else if (step.outcome() != Outcome.EXTENDED) {
                throw new AssertionError("event " + i + " was " + step.outcome());
            }
            if (i % 997 == 0 || i == 499_998) {
                maxEntries = Math.max(maxEntries, state.events().size());
                maxBytes = Math.max(maxBytes, serde.serializer().serialize("t", state).length);
            }
        }
        assertThat(maxEntries).as("aggregated, not dropped").isEqualTo(DropBurstState.MAX_ENTRIES);
        assertThat(maxBytes).isLessThanOrEqualTo(DropBurstState.MAX_BYTES);
        assertThat(state.maxEncodedBytes()).isLessThan(1_000);
    }

    /** Prints what a principal's state weighs in the store and the changelog; asserts only the cap. */
    @Test
    void reportsTheSizesOfTypicalStates() {
        RuleDetector detector = new RuleDetector(DetectionRule.defaults());
        TrackedEvent drop = new TrackedEvent(1_767_225_600_000_000L, 1, "pg:prod/0/16/B3A2F10-0", 197_000_000L,
                "DROP TABLE public.orders_2025_11", 48_213, List.of());
        DropBurstState one = detector.observe(null, drop, P).state();
        DropBurstState two = detector.observe(one, new TrackedEvent(drop.timeUs() + 400_000, 1, "pg:prod/0/16/B3A2F88-0",
                197_000_100L, "DROP TABLE public.orders_2025_12", 48_213, List.of()), P).state();
        DropBurstState open = new DropBurstState(drop.timeUs(), List.of(), "pg-drop-table-burst/" + P + "/pg:prod/0/16/B3A2F10-0");
        RuleDetector flood = new RuleDetector(rule(Measure.EVENTS, 1_000_000, Duration.ofHours(1), Integer.MAX_VALUE));
        DropBurstState hot = null;
        for (int i = 0; i < 1_000; i++) {
            hot = flood.observe(hot, new TrackedEvent(i * 1_000L, 1, "pg:prod/0/16/B3A" + i, (long) i,
                    "DELETE FROM public.orders WHERE id = " + i, 48_213, List.of()), P).state();
        }
        for (var named : List.of(java.util.Map.entry("one drop", one), java.util.Map.entry("two drops", two),
                java.util.Map.entry("open episode", open), java.util.Map.entry("hot principal (128 entries)", hot))) {
            int bytes = serde.serializer().serialize("t", named.getValue()).length;
            System.out.printf("state of %s: %d bytes%n", named.getKey(), bytes);
            assertThat(bytes).isLessThanOrEqualTo(DropBurstState.MAX_BYTES);
        }
    }

    @Test
    void aSteadyFloodBelowTheThresholdNeverTripsOnceAggregated() {
        // 1,000 events per second: at most 1,001 in a closed one-second window, so 1,002 must never trip,
        // however the entries are merged; a real burst on top of it still does.
        RuleDetector detector = new RuleDetector(rule(Measure.EVENTS, 1_002, Duration.ofSeconds(1), Integer.MAX_VALUE));
        DropBurstState state = null;
        for (int i = 0; i < 10_000; i++) {
            Step step = detector.observe(state, event(i * 1_000L, 1, "e" + i, "DROP TABLE t", List.of()), P);
            if (step.outcome() != Outcome.COUNTED) {
                throw new AssertionError("event " + i + " was " + step.outcome());
            }
            state = step.state();
        }
        assertThat(state.events()).hasSize(DropBurstState.MAX_ENTRIES);
        Step step = null;
        for (int i = 0; i < 1_500 && (step == null || step.outcome() != Outcome.TRIGGERED); i++) {
            step = detector.observe(state, event(10_000_000L + i * 10L, 1, "b" + i, "DROP TABLE b", List.of()), P);
            state = step.state();
        }
        assertThat(step.outcome()).isEqualTo(Outcome.TRIGGERED);
        assertThat(step.burst().observed()).isGreaterThanOrEqualTo(1_002);
    }

    @Test
    void distinctObjectRulesKeepABoundedSetOfIdentities() {
        RuleDetector detector = new RuleDetector(rule(Measure.DISTINCT_OBJECTS, 1_000, Duration.ofSeconds(1), Integer.MAX_VALUE));
        DropBurstState state = null;
        // 900 new tables per second, each event 30 of them: never 1,000 in a window, 2,700 over window + grace.
        for (int i = 0; i < 300; i++) {
            int base = 30 * i;
            List<String> ids = java.util.stream.IntStream.range(0, 30).mapToObj(j -> "table:public.t" + (base + j)).toList();
            Step step = detector.observe(state, event(i * 33_333L, ids.size(), "e" + i, "DROP TABLE t", ids), P);
            assertThat(step.outcome()).isEqualTo(Outcome.COUNTED);
            state = step.state();
            assertThat(state.identityCount()).isLessThanOrEqualTo(DropBurstState.MAX_IDENTITIES);
        }
        assertThat(serde.serializer().serialize("t", state).length).isLessThanOrEqualTo(DropBurstState.MAX_BYTES);
    }

    @Test
    void oneEventWithHugeFieldsIsCutToTheByteCap() {
        RuleDetector detector = new RuleDetector(rule(Measure.ROWS, Long.MAX_VALUE, Duration.ofSeconds(1), Integer.MAX_VALUE));
        List<String> ids = java.util.stream.IntStream.range(0, 5_000).mapToObj(j -> "x".repeat(100) + j).toList();
        Step step = detector.observe(null, new TrackedEvent(0, 1, "e".repeat(100_000), 1L, LONG_STATEMENT, 1, ids), P);
        assertThat(serde.serializer().serialize("t", step.state()).length).isLessThanOrEqualTo(DropBurstState.MAX_BYTES);
        assertThat(step.state().events()).hasSize(1);
    }

    @Test
    void recentReplaysAreRecognisedUpToTheirCap() {
        RuleDetector detector = new RuleDetector(rule(Measure.EVENTS, 1_000_000, Duration.ofHours(1), Integer.MAX_VALUE));
        DropBurstState state = null;
        for (int i = 0; i < 200; i++) {
            state = detector.observe(state, event(i, 1, "e" + i, "DROP TABLE t", List.of()), P).state();
        }
        assertThat(detector.observe(state, event(199, 1, "e199", null, List.of()), P).outcome())
                .isEqualTo(Outcome.DUPLICATE);
        assertThat(detector.observe(state, event(200 - DropBurstState.RECENT_IDS, 1, "e" + (200 - DropBurstState.RECENT_IDS),
                null, List.of()), P).outcome()).as("the oldest remembered").isEqualTo(Outcome.DUPLICATE);
        assertThat(detector.observe(state, event(100, 1, "e100", null, List.of()), P).outcome())
                .as("beyond the cap a replay counts again").isEqualTo(Outcome.COUNTED);
    }

    @Test
    void aDistinctObjectThresholdAboveTheIdentityCapIsRefused() {
        assertThatThrownBy(() -> rule(Measure.DISTINCT_OBJECTS, DropBurstState.MAX_IDENTITIES + 1, Duration.ofSeconds(1),
                10_000)).hasMessageStartingWith("threshold=1025 is invalid for measure distinct_objects");
    }

    private static TrackedEvent event(long timeUs, long amount, String id, String statement, List<String> identities) {
        return new TrackedEvent(timeUs, amount, id, timeUs, statement, (int) (timeUs % 100_000), identities);
    }

    private static DetectionRule rule(Measure measure, long threshold, Duration window, int maxTracked) {
        return new DetectionRule("bounded", "test rule", null, RuleMatch.builder().build(), measure, threshold, window,
                window.compareTo(Duration.ofSeconds(30)) > 0 ? window : Duration.ofSeconds(30), Duration.ofSeconds(2),
                Severity.HIGH, Response.REVOKE, false, List.of(), Maturity.STABLE, maxTracked, List.of());
    }
}
