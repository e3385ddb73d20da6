package dev.firebreak.ingest.classify;

import dev.firebreak.rules.RulesFileException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@link ActionClassifier} driven by a YAML rules file (format documented at the top of the
 * bundled {@code actions.yaml}). SQL is parsed with JSqlParser and judged on its AST, with keyword
 * rules for what the parser cannot read; shell command lines are tokenized, unwrapped (sudo, env,
 * ssh, bash -c, docker exec...) and judged per simple command, with SQL given to database clients
 * judged as SQL and curl/wget/HTTPie calls judged as HTTP; HTTP calls are judged on method, URL,
 * body and the mutation fields of a GraphQL body.
 *
 * <p>Instances are immutable and thread-safe: everything is compiled at load time and classifying
 * does no I/O. Use {@link #defaults()} for the bundled rules or {@link #load(Path)} for an operator's
 * own file.
 */
public final class RulesActionClassifier implements ActionClassifier {

    /** Classpath location of the bundled rules. */
    public static final String BUNDLED_RULES = "/dev/firebreak/ingest/classify/actions.yaml";

    private final CompiledRules rules;
    private final SqlClassifier sql;
    private final HttpClassifier http;
    private final ShellClassifier shell;

    private RulesActionClassifier(CompiledRules rules) {
        this.rules = rules;
        this.sql = new SqlClassifier(rules.sqlRules(), rules.ruleOrder());
        this.http = new HttpClassifier(rules.httpRules());
        this.shell = new ShellClassifier(rules.shellRules(), rules.syntax(), sql, http, rules.ruleOrder());
    }

    /**
     * The classifier with the bundled rules.
     *
     * @throws RulesFileException if the bundled file is invalid (a build defect; tests load it)
     */
    public static RulesActionClassifier defaults() {
        try (InputStream in = RulesActionClassifier.class.getResourceAsStream(BUNDLED_RULES)) {
            if (in == null) {
                throw new IllegalStateException("bundled rules missing from the classpath: " + BUNDLED_RULES);
            }
            return load(in, "classpath:" + BUNDLED_RULES);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read bundled rules " + BUNDLED_RULES, e);
        }
    }

    /**
     * A classifier with the rules in {@code file}.
     *
     * @throws RulesFileException   naming the file, rule and reason when the rules are invalid
     * @throws UncheckedIOException when the file cannot be read
     */
    public static RulesActionClassifier load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return load(in, file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read rules file " + file, e);
        }
    }

    /**
     * A classifier with the rules read from {@code in} (not closed here).
     *
     * @param sourceName names the rules in error messages, e.g. a file name
     * @throws RulesFileException naming the source, rule and reason when the rules are invalid
     */
    public static RulesActionClassifier load(InputStream in, String sourceName) {
        return new RulesActionClassifier(ClassifierRulesLoader.load(in, sourceName));
    }

    /** Where the rules came from, for logs. */
    public String source() {
        return rules.source();
    }

    @Override
    public Verdict classifySql(String sqlText) {
        return sql.classify(sqlText);
    }

    @Override
    public Verdict classifyShell(String commandLine) {
        return shell.classify(commandLine);
    }

    @Override
    public Verdict classifyHttp(String method, String url, String body) {
        return http.classify(method, url, body);
    }

    @Override
    public Verdict classify(String tool, String input) {
        ActionKind kind = rules.tools().kindOf(tool);
        return switch (kind) {
            case SQL -> sqlTool(ToolInput.sql(input));
            case SHELL -> shell.classify(ToolInput.shell(input));
            case HTTP -> httpTool(input);
            case OTHER -> new Verdict(ActionKind.OTHER, false, null, "other.unknown_tool",
                    "tool '" + Reasons.quote(tool) + "' is not mapped to sql, shell or http in the rules; kept unclassified");
        };
    }

    /**
     * SQL tools sometimes receive a client command line ({@code psql -c "..."}) instead of SQL; when
     * the parser gives up and the shell rules find something destructive, that verdict wins.
     */
    private Verdict sqlTool(String input) {
        Verdict v = sql.classify(input);
        if (v.destructive() || !"sql.unparsed".equals(v.category())) {
            return v;
        }
        Verdict asCommand = shell.classify(input);
        return asCommand.destructive() ? Verdicts.as(ActionKind.SQL, asCommand, "SQL tool ran a command line") : v;
    }

    private Verdict httpTool(String input) {
        HttpCall call = shell.httpCall(input); // curl/wget/HTTPie line handed to an HTTP tool
        if (call == null) {
            call = ToolInput.http(input);
        }
        if (call == null) {
            return new Verdict(ActionKind.HTTP, false, null, "http.unparsed",
                    "input is neither a call description, a request line, a URL nor a curl command: " + Reasons.quote(input));
        }
        return http.classify(call.method(), call.url(), call.body());
    }
}
