package dev.firebreak.launcher.rules;

import dev.firebreak.ingest.classify.RulesActionClassifier;
import dev.firebreak.ingest.preflight.DecisionRules;
import dev.firebreak.rules.RulesFileException;
import dev.firebreak.rules.RulesLoader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code firebreak rules validate|test} ({@code corpus} too in the dev executable, which has the
 * embedded stack it needs): an operator's tools for their own rule files.
 */
@Command(name = "rules", mixinStandardHelpOptions = true,
        description = "Check rule files: validate them and run their unit tests (the dev executable also measures them on the corpus).",
        subcommands = {RulesCommand.Validate.class, RulesCommand.Test.class})
public final class RulesCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /**
     * Loads each rule file with the loader that reads it in production, told apart by its top-level
     * keys: the action classifier's ({@code tools}, {@code shell}), pre-flight decisions
     * ({@code decisions}, read by ingest from the detection rules folder) and detection's rules and
     * guards (everything else, read as one set). Exit 0 when all are valid, 1 with every
     * {@code file:line: reason}.
     */
    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Load rule files or folders with the loader each is read by in production (detection rules and "
                    + "guards, pre-flight decisions, action classifier rules, told apart by their top-level keys); print "
                    + "file:line errors (exit 1) or a summary.")
    public static final class Validate implements Callable<Integer> {
        private static final Set<String> CLASSIFIER_KEYS = Set.of("tools", "shell");
        private static final Set<String> DECISION_KEYS = Set.of("version", "decisions");

        @Parameters(arity = "1..*", paramLabel = "<file or dir>",
                description = "Rule files or folders; the detection files among them are read as one rule set.")
        List<Path> paths;

        @Override
        public Integer call() {
            List<Path> files;
            try {
                files = RuleFiles.expand(paths);
            } catch (RulesFileException e) {
                e.problems().forEach(System.err::println);
                return 1;
            }
            List<String> problems = new ArrayList<>();
            List<Path> detection = new ArrayList<>();
            List<Path> decisions = new ArrayList<>();
            for (Path file : files) {
                Set<String> keys = RuleFiles.topKeys(file);
                if (keys.stream().anyMatch(CLASSIFIER_KEYS::contains)) {
                    check(problems, () -> {
                        RulesActionClassifier.load(file);
                        System.out.printf("ok: action classifier rules in %s%n", file);
                    });
                } else {
                    if (keys.contains("decisions")) {
                        decisions.add(file);
                    }
                    // a file of decisions alone is no detection rule set (which must hold a rule)
                    if (!keys.contains("decisions") || !DECISION_KEYS.containsAll(keys)) {
                        detection.add(file);
                    }
                }
            }
            if (!detection.isEmpty()) {
                check(problems, () -> {
                    RulesLoader.RuleSet set = RuleFiles.load(detection, Instant.now());
                    set.warnings().forEach(w -> System.out.println("warning: " + w));
                    System.out.printf("ok: %d rules, %d guards from %d files%n", set.rules().size(),
                            set.guards().rules().size(), set.sources().size());
                });
            }
            for (Path file : decisions) {
                check(problems, () -> System.out.printf("ok: %d pre-flight decision rules in %s%n",
                        DecisionRules.load(file).size(), file));
            }
            problems.forEach(System.err::println);
            return problems.isEmpty() ? 0 : 1;
        }

        private static void check(List<String> problems, Runnable load) {
            try {
                load.run();
            } catch (RulesFileException e) {
                problems.addAll(e.problems());
            } catch (IllegalArgumentException | UncheckedIOException e) {
                problems.add(e.getMessage());
            }
        }
    }

    /** Runs rule unit-test files over the real topology; exit 0 when every case passes. */
    @Command(name = "test", mixinStandardHelpOptions = true,
            description = "Run rule unit tests (input events at explicit times, expected alerts and revocations per rule) "
                    + "through the real detection topology; exit 1 on any failure.")
    public static final class Test implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "<test file>", description = "Test files, e.g. rules/tests/firebreak.test.yaml.")
        List<Path> files;

        @Override
        public Integer call() {
            int failed = 0;
            int passed = 0;
            for (Path file : files) {
                List<RuleTestRunner.CaseResult> results;
                try {
                    results = RuleTestRunner.run(file);
                } catch (RulesFileException e) {
                    System.err.println(file + ": the rules under test do not load:");
                    e.problems().forEach(p -> System.err.println("  " + p));
                    failed++;
                    continue;
                } catch (IllegalArgumentException e) {
                    System.err.println(e.getMessage().startsWith(file.toString()) ? e.getMessage() : file + ": " + e.getMessage());
                    failed++;
                    continue;
                }
                for (RuleTestRunner.CaseResult r : results) {
                    if (r.passed()) {
                        passed++;
                        System.out.println("PASS " + file + ": " + r.name());
                    } else {
                        failed++;
                        System.out.println("FAIL " + file + ": " + r.name());
                        r.problems().forEach(p -> System.out.println("     " + p));
                    }
                }
            }
            System.out.printf("%d passed, %d failed%n", passed, failed);
            return failed == 0 ? 0 : 1;
        }
    }
}
