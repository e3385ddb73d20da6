package dev.firebreak.rules;

import java.util.List;

/** Rule files that failed validation; the message lists every problem as {@code file:line: reason}. */
public final class RulesFileException extends IllegalArgumentException {
    private final List<String> problems;

    public RulesFileException(List<String> problems) {
        super("invalid detection rules:\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    /** Each problem as {@code file:line: reason}. */
    public List<String> problems() {
        return problems;
    }
}
