package dev.firebreak.rules;

import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rule files that failed validation, in either rule language (detection and guard rules, or the
 * action classifier's rules). Every problem is found before this is thrown, and each carries its
 * file and line, so a bad deployment fails at start-up with everything that needs fixing.
 */
public final class RulesFileException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private static final Pattern FILE_LINE = Pattern.compile("(.+?):(\\d+): .*", Pattern.DOTALL);

    /**
     * One problem.
     *
     * @param file the rule file (a path, or {@code classpath:...})
     * @param line 1-based line, 0 when it concerns the file as a whole
     * @param text the problem as reported, file and line included
     */
    public record Problem(String file, int line, String text) {
        public Problem {
            Objects.requireNonNull(text, "text");
        }

        @Override
        public String toString() {
            return text;
        }
    }

    private final transient List<Problem> located;

    /**
     * Detection rule problems, each already written {@code file:line: reason} (or {@code file: reason}).
     */
    public RulesFileException(List<String> problems) {
        this("detection", problems.stream().map(RulesFileException::parse).toList());
    }

    /**
     * @param language names the rules in the message: {@code detection}, {@code classifier}
     */
    public RulesFileException(String language, List<Problem> problems) {
        super("invalid " + language + " rules:\n  "
                + String.join("\n  ", problems.stream().map(Problem::text).toList()));
        this.located = List.copyOf(problems);
    }

    /** Each problem as reported, naming its file and line. */
    public List<String> problems() {
        return located.stream().map(Problem::text).toList();
    }

    /** Each problem with its file and line apart, e.g. for an editor or a report. */
    public List<Problem> located() {
        return located;
    }

    private static Problem parse(String text) {
        Matcher m = FILE_LINE.matcher(text);
        if (m.matches()) {
            return new Problem(m.group(1), Integer.parseInt(m.group(2)), text);
        }
        int colon = text.indexOf(": ");
        return new Problem(colon > 0 ? text.substring(0, colon) : "", 0, text);
    }
}
