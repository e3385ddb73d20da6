package dev.firebreak.launcher.corpus;

import java.util.List;
import java.util.Objects;

/**
 * One case of the detection corpus: a real tool doing its job (benign) or a destructive pattern
 * (attack), run against the live stack. What it expects follows from its kind: an attack must be
 * revoked or blocked, a benign case must be neither (alerts are allowed and reported).
 *
 * @param id          {@code benign/...} or {@code attack/...}; what {@code --case} globs match
 * @param kind        benign or attack
 * @param description what it does, as the confusion table prints it
 * @param origin      where the pattern comes from (an issue, a tool's documented behaviour)
 * @param body        runs it; returns the principals that acted
 */
public record CorpusCase(String id, Kind kind, String description, String origin, Body body) {
    /** Benign tools must not be stopped; attacks must be. */
    public enum Kind { BENIGN, ATTACK }

    /** What a case does against the stack. */
    @FunctionalInterface
    public interface Body {
        /**
         * Runs the case with role names made unique by {@code ctx}.
         *
         * @return every principal that acted (revocation or block of any of them stops the case)
         */
        List<String> run(CorpusContext ctx) throws Exception;
    }

    public CorpusCase {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(body, "body");
        if (!id.startsWith(kind.name().toLowerCase(java.util.Locale.ROOT) + "/")) {
            throw new IllegalArgumentException("case id " + id + " must start with " + kind.name().toLowerCase(java.util.Locale.ROOT) + "/");
        }
    }
}
