package dev.firebreak.ingest.preflight;

import java.util.List;

/**
 * One decision rule from the {@code decisions:} section of a rule file. Rules are tried in
 * ascending {@code priority} (then file order); the first whose {@code when} matches decides.
 *
 * @param id          unique, recorded with every decision it makes
 * @param description what it decides and why (required)
 * @param priority    lower first
 * @param when        the conditions
 * @param decision    allow, deny or ask
 * @param reason      the answer's reason; {@code {category}}, {@code {environment}}, {@code {tool}} and
 *                    {@code {attempts}} are replaced by the action's values (the description when absent)
 * @param tags        free labels
 * @param order       position over every file read, the tie-breaker of equal priorities
 */
public record DecisionRule(String id, String description, int priority, DecisionCondition when, Decision decision,
                           String reason, List<String> tags, int order) {
    public DecisionRule {
        tags = List.copyOf(tags);
    }

    /** The reason for this action, placeholders filled in. */
    String reasonFor(ActionFacts action, PrincipalView state) {
        String text = reason == null ? description : reason;
        return text.replace("{category}", String.valueOf(action.category()))
                .replace("{environment}", action.targetEnvironment() == null ? DecisionCondition.UNSET : action.targetEnvironment())
                .replace("{tool}", action.tool())
                .replace("{attempts}", Integer.toString(state.refusedAttempts(when.attemptsWindow())));
    }
}
