package dev.firebreak.ingest.classify;

import dev.firebreak.ingest.classify.ActionClassifier.ActionKind;
import dev.firebreak.ingest.classify.ActionClassifier.Verdict;
import java.util.List;
import java.util.Map;

/** Combining and relabelling verdicts. */
final class Verdicts {

    private Verdicts() {
    }

    /**
     * The verdict that speaks for an input made of several statements or commands: the first
     * destructive one; otherwise one the parser could not read (on-call should know part of the
     * input went unchecked); otherwise the one whose rule comes first in the rules file; otherwise
     * {@code none}.
     */
    static Verdict strongest(List<Verdict> verdicts, Map<String, Integer> ruleOrder, Verdict none) {
        Verdict best = none;
        long bestRank = Long.MAX_VALUE;
        for (Verdict v : verdicts) {
            long rank = rank(v, ruleOrder);
            if (rank < bestRank) {
                best = v;
                bestRank = rank;
            }
        }
        return best;
    }

    private static long rank(Verdict v, Map<String, Integer> ruleOrder) {
        if (v.destructive()) {
            return 0;
        }
        if (v.ruleId() == null) {
            return v.category() != null && v.category().endsWith(".unparsed") ? 1 : Long.MAX_VALUE - 1;
        }
        return 2L + ruleOrder.getOrDefault(v.ruleId(), Integer.MAX_VALUE - 2);
    }

    /** The same verdict reported for another kind of action, e.g. SQL found inside a shell command. */
    static Verdict as(ActionKind kind, Verdict v, String context) {
        return new Verdict(kind, v.destructive(), v.ruleId(), v.category(), Reasons.join(context, v.reason()));
    }
}
