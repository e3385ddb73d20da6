package dev.firebreak.rules;

import dev.firebreak.rules.DetectionRule.Maturity;
import dev.firebreak.rules.DetectionRule.Measure;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** Rules built in code, for tests that do not go through YAML. */
public final class TestRules {
    private TestRules() {
    }

    /** A drop rule as the single drop-burst rule used to be configured: objects of {@code types} dropped. */
    public static DetectionRule drops(String id, Set<String> types, long threshold, Duration window, Duration quiet,
                               Duration grace, Severity severity, Response response, int maxTrackedEvents) {
        return new DetectionRule(id, "test rule " + id, null,
                RuleMatch.builder().actionRegex("DROP .*").objectTypes(types).build(), Measure.OBJECTS, threshold,
                window, quiet, grace, severity, response, false, List.of(), Maturity.STABLE, maxTrackedEvents,
                List.of());
    }

    /** A rule over {@code match} with the default quiet time and grace. */
    public static DetectionRule rule(String id, RuleMatch match, Measure measure, long threshold, Duration window,
                              Response response, boolean shadow) {
        return new DetectionRule(id, "test rule " + id, null, match, measure, threshold, window,
                window.compareTo(Duration.ofSeconds(30)) > 0 ? window : Duration.ofSeconds(30), Duration.ofSeconds(2),
                Severity.HIGH, response, shadow, List.of(), Maturity.INCUBATING, 10_000, List.of());
    }
}
