package dev.firebreak.ingest.classify;

import dev.firebreak.ingest.classify.ActionClassifier.ActionKind;
import dev.firebreak.ingest.classify.ActionClassifier.Verdict;
import dev.firebreak.ingest.classify.ShellScript.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Classifies shell command lines: tokenizes them, classifies every simple command (and every
 * command substitution, bash -c script, ssh remote command), peels wrappers such as sudo, sends
 * curl/wget/HTTPie invocations to the http rules and SQL given to database clients to the sql
 * rules, and otherwise applies the shell rules in file order.
 */
final class ShellClassifier {

    /** Nesting bound for bash -c "ssh h 'eval \"...\"'" chains; real commands stay far below it. */
    private static final int MAX_DEPTH = 8;
    private static final Set<String> ECHOES = Set.of("echo", "printf");

    private final List<ShellRule> rules;
    private final ShellSyntax syntax;
    private final SqlClassifier sql;
    private final HttpClassifier http;
    private final Map<String, Integer> ruleOrder;

    ShellClassifier(List<ShellRule> rules, ShellSyntax syntax, SqlClassifier sql, HttpClassifier http,
                    Map<String, Integer> ruleOrder) {
        this.rules = List.copyOf(rules);
        this.syntax = syntax;
        this.sql = sql;
        this.http = http;
        this.ruleOrder = ruleOrder;
    }

    Verdict classify(String commandLine) {
        List<Verdict> verdicts = classifyScript(commandLine, 0);
        if (verdicts.isEmpty()) {
            return new Verdict(ActionKind.SHELL, false, null, "shell.empty", "no command in the input");
        }
        return Verdicts.strongest(verdicts, ruleOrder, verdicts.get(0));
    }

    /** The HTTP call of a curl/wget/HTTPie command line, or null when it is not one. */
    HttpCall httpCall(String commandLine) {
        List<Command> commands = ShellTokenizer.parse(commandLine).commands();
        if (commands.isEmpty()) {
            return null;
        }
        List<String> argv = ShellSyntax.stripPrefixes(commands.get(0).words());
        String client = syntax.httpClient(argv);
        return client == null ? null : HttpClientCommands.parse(client, argv);
    }

    private List<Verdict> classifyScript(String script, int depth) {
        List<Verdict> verdicts = new ArrayList<>();
        if (depth > MAX_DEPTH || script == null) {
            return verdicts;
        }
        ShellScript parsed = ShellTokenizer.parse(script);
        Command previous = null;
        for (Command c : parsed.commands()) {
            String stdin = c.stdin() != null ? c.stdin() : c.pipedIn() ? output(previous) : null;
            verdicts.addAll(classifyCommand(c.words(), stdin, depth));
            previous = c;
        }
        for (String substitution : parsed.substitutions()) {
            verdicts.addAll(classifyScript(substitution, depth + 1));
        }
        return verdicts;
    }

    private List<Verdict> classifyCommand(List<String> words, String stdin, int depth) {
        List<String> argv = ShellSyntax.stripPrefixes(words);
        for (int peeled = 0; peeled <= MAX_DEPTH && !argv.isEmpty(); peeled++) {
            ShellSyntax.Unwrapped inner = syntax.unwrap(argv);
            if (inner == null) {
                break;
            }
            if (inner.script() != null) {
                return classifyScript(inner.script(), depth + 1);
            }
            argv = ShellSyntax.stripPrefixes(inner.argv());
        }
        if (argv.isEmpty()) {
            return List.of();
        }
        String subshell = syntax.subshellScript(argv);
        if (subshell != null) {
            return classifyScript(subshell, depth + 1);
        }
        return List.of(classifyProgram(argv, stdin));
    }

    private Verdict classifyProgram(List<String> argv, String stdin) {
        String client = syntax.httpClient(argv);
        HttpCall call = client == null ? null : HttpClientCommands.parse(client, argv);
        if (call != null) {
            return Verdicts.as(ActionKind.SHELL, http.classify(call.method(), call.url(), call.body()), argv.get(0));
        }
        ShellFacts facts = ShellFacts.of(argv, stdin);
        for (ShellRule rule : rules) {
            if (rule.matches(facts)) {
                return verdict(rule, facts);
            }
        }
        return new Verdict(ActionKind.SHELL, false, null, "shell.other",
                "no rule for " + Reasons.quote(facts.program() + " " + facts.argsText()));
    }

    private Verdict verdict(ShellRule rule, ShellFacts facts) {
        String quoted = Reasons.quote(facts.program() + " " + facts.argsText());
        if (rule.sqlFrom() != null) {
            List<Verdict> inner = rule.sqlFrom().extract(facts).stream().map(sql::classify).toList();
            Verdict worst = Verdicts.strongest(inner, ruleOrder, null);
            if (worst != null && worst.destructive()) {
                return Verdicts.as(ActionKind.SHELL, worst, facts.program() + " runs SQL");
            }
        }
        return rule.info().verdict(quoted);
    }

    /** What a command writes to a pipe, when that is knowable from the command line alone. */
    private static String output(Command previous) {
        if (previous == null || previous.words().isEmpty()) {
            return null;
        }
        List<String> argv = ShellSyntax.stripPrefixes(previous.words());
        if (argv.isEmpty()) {
            return null;
        }
        String program = ShellSyntax.programName(argv.get(0));
        if (ECHOES.contains(program)) {
            List<String> text = argv.subList(1, argv.size()).stream().filter(a -> !a.matches("-[neE]+")).toList();
            return String.join(" ", text).replace("\\n", "\n");
        }
        return program.equals("cat") && argv.size() == 1 ? previous.stdin() : null;
    }
}
