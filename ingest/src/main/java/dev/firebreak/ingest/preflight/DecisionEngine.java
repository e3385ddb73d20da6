package dev.firebreak.ingest.preflight;

import java.util.List;

/**
 * Evaluates decision rules, first match wins (rules sorted by {@link DecisionRules}). Pure: the same
 * action and state always give the same outcome. No rule matching allows, under rule id
 * {@value #NO_RULE}: the rules list what needs a human or a refusal, as detection rules list what alerts.
 */
public final class DecisionEngine {
    /** The rule id of an action no rule matched. */
    public static final String NO_RULE = "no-rule-matched";

    private final List<DecisionRule> rules;

    /** @param rules sorted, as {@link DecisionRules} returns them */
    public DecisionEngine(List<DecisionRule> rules) {
        this.rules = List.copyOf(rules);
    }

    /**
     * The outcome of one decision.
     *
     * @param decision allow, deny or ask
     * @param ruleId   the rule that decided
     * @param reason   one sentence for the agent and the operator
     * @param window   the attempts window the rule counted over, or null when it counts none
     */
    public record Outcome(Decision decision, String ruleId, String reason, java.time.Duration window) {
    }

    /** Decides on one action given its principal's live state. */
    public Outcome decide(ActionFacts action, PrincipalView state) {
        for (DecisionRule rule : rules) {
            if (rule.when().matches(action, state)) {
                return new Outcome(rule.decision(), rule.id(), rule.reasonFor(action, state),
                        rule.when().refusedAttemptsAtLeast() == null ? null : rule.when().attemptsWindow());
            }
        }
        return new Outcome(Decision.ALLOW, NO_RULE, "no decision rule matched this action", null);
    }

    /** The rules, in evaluation order. */
    public List<DecisionRule> rules() {
        return rules;
    }
}
