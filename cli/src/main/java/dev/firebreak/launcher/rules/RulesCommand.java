package dev.firebreak.launcher.rules;

import dev.firebreak.rules.RulesFileException;
import dev.firebreak.rules.RulesLoader;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
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

    /** Loads rule files with detection's own loader; exit 0 when valid, 1 with {@code file:line: reason} lines. */
    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Load rule files or folders with detection's loader; print file:line errors (exit 1) or a summary.")
    public static final class Validate implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "<file or dir>", description = "Rule files or folders, read as one rule set.")
        List<Path> paths;

        @Override
        public Integer call() {
            try {
                RulesLoader.RuleSet set = RuleFiles.load(paths, Instant.now());
                set.warnings().forEach(w -> System.out.println("warning: " + w));
                System.out.printf("ok: %d rules, %d guards from %d files%n", set.rules().size(),
                        set.guards().rules().size(), set.sources().size());
                return 0;
            } catch (RulesFileException e) {
                e.problems().forEach(System.err::println);
                return 1;
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
