package dev.firebreak.launcher.rules;

import dev.firebreak.rules.RulesFileException;
import dev.firebreak.launcher.corpus.ConfusionTable;
import dev.firebreak.launcher.corpus.CorpusCase;
import dev.firebreak.launcher.corpus.CorpusRunner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code firebreak rules corpus}: runs rule files against the benign and attack corpus on the real
 * in-JVM stack and prints the confusion table. Exit 0 when every attack was revoked or blocked and
 * no benign case was; 1 otherwise; 2 when the rules do not load.
 */
@Command(name = "corpus", mixinStandardHelpOptions = true,
        description = "Run rule files against the benign and attack corpus on the in-JVM stack; print the rule x case "
                + "table; exit 1 on any false revocation/block or missed attack.")
public final class CorpusCommand implements Callable<Integer> {
    @Option(names = "--rules", paramLabel = "<file or dir>",
            description = "Rule files or folders, read as one rule set (repeatable; default: the bundled rules).")
    List<Path> rules = new ArrayList<>();

    @Option(names = "--case", paramLabel = "<glob>", description = "Only cases whose id matches, e.g. 'attack/*' or "
            + "'benign/dbt*' (repeatable).")
    List<String> cases = new ArrayList<>();

    @Option(names = "--list", description = "List the cases and exit.")
    boolean list;

    @Option(names = "--settle-ms", defaultValue = "5000", description = "Wait after the last case for late decisions "
            + "(default ${DEFAULT-VALUE}).")
    long settleMs;

    @Option(names = "--out", description = "Also write the report to this file.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (list) {
            for (CorpusCase c : CorpusRunner.select(CorpusRunner.corpus(), cases)) {
                System.out.printf("%-36s %s (%s)%n", c.id(), c.description(), c.origin());
            }
            return 0;
        }
        ConfusionTable table;
        try {
            table = CorpusRunner.run(new CorpusRunner.Settings(rules, cases, Duration.ofMillis(settleMs)),
                    line -> System.err.println("... " + line));
        } catch (RulesFileException e) {
            e.problems().forEach(System.err::println);
            return 2;
        }
        String report = table.render("rules corpus: " + (rules.isEmpty() ? "bundled rules" : rules.toString()));
        System.out.print(report);
        if (out != null) {
            Files.writeString(out, report, StandardCharsets.UTF_8);
        }
        return table.exitCode();
    }
}
