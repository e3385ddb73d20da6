package dev.firebreak.ingest.classify;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A compiled {@code kind: shell} rule. Null patterns and empty lists mean "no condition".
 *
 * @param command  must match the whole program name (case-insensitive)
 * @param words    searched in the positional arguments joined by one space
 * @param args     searched in all arguments joined by one space
 * @param flags    groups of alternatives; one of each group must be present
 * @param allWords every positional argument must match (and there must be one)
 * @param sqlFrom  where the command takes SQL from, or null
 */
record ShellRule(RuleInfo info, Pattern command, Pattern words, Pattern args, List<Set<String>> flags,
                 Pattern allWords, SqlSource sqlFrom) {

    /** Where a SQL client takes its SQL from: options, a positional argument, standard input. */
    record SqlSource(List<String> options, int positional, boolean stdin) {

        /** The SQL texts this command runs, possibly none (psql -f file.sql). */
        List<String> extract(ShellFacts f) {
            List<String> sql = new ArrayList<>();
            for (String option : options) {
                sql.addAll(f.optionValues(option));
            }
            if (positional > 0 && f.words().size() >= positional) {
                sql.add(f.words().get(positional - 1));
            }
            if (stdin && f.stdin() != null) {
                sql.add(f.stdin());
            }
            return sql;
        }
    }

    boolean matches(ShellFacts f) {
        return (command == null || command.matcher(f.program()).matches())
                && (words == null || words.matcher(f.wordsText()).find())
                && (args == null || args.matcher(f.argsText()).find())
                && flags.stream().allMatch(group -> group.stream().anyMatch(f.flags()::contains))
                && (allWords == null || (!f.words().isEmpty()
                        && f.words().stream().allMatch(w -> allWords.matcher(w).find())));
    }
}
