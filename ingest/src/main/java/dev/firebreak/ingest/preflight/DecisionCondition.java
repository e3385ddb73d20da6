package dev.firebreak.ingest.preflight;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code when:} of a decision rule; every condition given must hold, none given matches all.
 * Lists are kept lower-case; an absent condition is null.
 *
 * @param destructive             the classifier's verdict
 * @param kinds                   {@code sql}, {@code shell}, {@code http}, {@code other}
 * @param categories              the classifier's categories exactly
 * @param categoryRegex           the whole category matches (case-insensitive)
 * @param environments            the record's {@code target_environment}; {@value #UNSET} when it has none
 * @param tools                   the record's tool
 * @param principalRevoked        the agent or its credential has been revoked and not reinstated
 * @param openEpisode             an alert of one of {@code episodeSeverities} for the agent or its
 *                                credential is younger than the episode horizon
 * @param episodeSeverities       which alert severities make an episode open
 * @param refusedAttemptsAtLeast  the agent's earlier denied or held (ask, not approved) attempts within
 *                                {@code attemptsWindow}
 * @param attemptsWindow          the window of {@code refusedAttemptsAtLeast}
 */
public record DecisionCondition(Boolean destructive, Set<String> kinds, Set<String> categories, Pattern categoryRegex,
                                Set<String> environments, Set<String> tools, Boolean principalRevoked,
                                Boolean openEpisode, Set<String> episodeSeverities, Integer refusedAttemptsAtLeast,
                                Duration attemptsWindow) {
    /** The environment value that matches a record without {@code target_environment}. */
    public static final String UNSET = "unset";
    /** Severities of alerts that keep an episode open when a rule names none. */
    public static final Set<String> DEFAULT_EPISODE_SEVERITIES = Set.of("high", "critical");
    /** The attempts window when a rule names none. */
    public static final Duration DEFAULT_ATTEMPTS_WINDOW = Duration.ofMinutes(10);

    /** Whether the action and the principal's state satisfy every condition. */
    public boolean matches(ActionFacts action, PrincipalView state) {
        return (destructive == null || destructive == action.destructive())
                && in(kinds, action.kind())
                && in(categories, action.category())
                && (categoryRegex == null || (action.category() != null && categoryRegex.matcher(action.category()).matches()))
                && in(environments, action.targetEnvironment() == null ? UNSET : action.targetEnvironment())
                && in(tools, action.tool())
                && (principalRevoked == null || principalRevoked == state.revoked())
                && (openEpisode == null || openEpisode == state.openEpisode(episodeSeverities))
                && (refusedAttemptsAtLeast == null || state.refusedAttempts(attemptsWindow) >= refusedAttemptsAtLeast);
    }

    private static boolean in(Set<String> allowed, String value) {
        return allowed == null || (value != null && allowed.contains(value.toLowerCase(Locale.ROOT)));
    }

    /** The longest window any condition looks back over, so state older than every rule's is dropped. */
    static Duration longest(List<DecisionRule> rules) {
        return rules.stream().map(r -> r.when().attemptsWindow()).reduce(DEFAULT_ATTEMPTS_WINDOW,
                (a, b) -> a.compareTo(b) >= 0 ? a : b);
    }
}
