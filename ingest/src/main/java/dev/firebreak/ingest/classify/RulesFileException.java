package dev.firebreak.ingest.classify;

import java.util.List;

/**
 * A rules file that cannot be used. The message names the file, the rule (by id, or by position
 * when it has none) and the reason, one problem per line, so a bad deployment fails at start-up
 * with everything that needs fixing.
 */
public final class RulesFileException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Every problem found, each already prefixed with the file and the rule. */
    private final List<String> problems;

    RulesFileException(List<String> problems) {
        super(String.join(System.lineSeparator(), problems));
        this.problems = List.copyOf(problems);
    }

    /** The problems found, one per entry, each naming the file and the rule. */
    public List<String> problems() {
        return problems;
    }
}
