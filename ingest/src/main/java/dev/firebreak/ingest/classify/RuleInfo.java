package dev.firebreak.ingest.classify;

import dev.firebreak.ingest.classify.ActionClassifier.ActionKind;
import dev.firebreak.ingest.classify.ActionClassifier.Verdict;
import java.util.List;

/**
 * What every rule has besides its match: identity, verdict and its position in the file (which is
 * both evaluation order and priority when several statements or commands are combined).
 */
record RuleInfo(String id, String description, ActionKind kind, String category, boolean destructive,
                List<String> tags, int order) {

    /** The verdict this rule gives; the reason starts with the rule's description. */
    Verdict verdict(String detail) {
        return new Verdict(kind, destructive, id, category, Reasons.join(description, detail));
    }
}
