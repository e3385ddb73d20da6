package dev.firebreak.ingest.classify;

import dev.firebreak.rules.FilePoller;
import dev.firebreak.rules.RulesFileException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ActionClassifier} driven by a YAML rules file (format documented at the top of the
 * bundled {@code rules/classifier/actions.yaml}). SQL is parsed with JSqlParser and judged on its AST, with keyword
 * rules for what the parser cannot read; shell command lines are tokenized, unwrapped (sudo, env,
 * ssh, bash -c, docker exec...) and judged per simple command, with SQL given to database clients
 * judged as SQL and curl/wget/HTTPie calls judged as HTTP; HTTP calls are judged on method, URL,
 * body and the mutation fields of a GraphQL body.
 *
 * <p>Thread-safe: everything is compiled at load time and classifying does no I/O. The compiled
 * rules are held in one reference that {@link #reload()} swaps whole, so a classification in
 * flight uses the old rules or the new ones, never a mix. Use {@link #defaults()} for the bundled
 * rules, {@link #fromSettings(Map)} for what an operator configured, or {@link #load(Path)} for a file.
 */
public final class RulesActionClassifier implements ActionClassifier {

    /** Classpath location of the bundled rules (built from the repository's rules/classifier/actions.yaml). */
    public static final String BUNDLED_RULES = "/dev/firebreak/ingest/classify/actions.yaml";
    /**
     * Setting: the operator's classifier rules, a file or a folder holding one {@code *.yaml} file.
     * Unset or blank: the bundled rules. Edits are picked up while running ({@link #watch()}).
     */
    public static final String RULES_PATH = "firebreak.ingest.classifier.rules.path";
    /** How often {@link #watch()} looks at the rules file, as detection's rules watcher does. */
    public static final Duration RELOAD_INTERVAL = Duration.ofSeconds(2);

    private static final Logger LOG = LoggerFactory.getLogger(RulesActionClassifier.class);

    /** The compiled rules and the classifiers built on them: swapped as one. */
    private record Engine(CompiledRules rules, SqlClassifier sql, HttpClassifier http, ShellClassifier shell) {
        static Engine of(CompiledRules rules) {
            SqlClassifier sql = new SqlClassifier(rules.sqlRules(), rules.ruleOrder());
            HttpClassifier http = new HttpClassifier(rules.httpRules());
            return new Engine(rules, sql, http,
                    new ShellClassifier(rules.shellRules(), rules.syntax(), sql, http, rules.ruleOrder()));
        }
    }

    private final AtomicReference<Engine> engine;
    /** Where the rules are reloaded from; null when they came from the classpath or a stream. */
    private final Path path;

    private RulesActionClassifier(CompiledRules rules, Path path) {
        this.engine = new AtomicReference<>(Engine.of(rules));
        this.path = path;
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
     * The classifier the settings ask for: the rules at {@link #RULES_PATH}, or the bundled ones
     * when it is unset or blank. Start {@link #watch()} to pick up edits.
     *
     * @throws IllegalArgumentException naming the key when the path is neither a file nor a folder
     *                                  holding exactly one {@code *.yaml} file
     * @throws RulesFileException       naming the file, rule, reason and line when the rules are invalid
     */
    public static RulesActionClassifier fromSettings(Map<String, String> settings) {
        String configured = settings.get(RULES_PATH);
        if (configured == null || configured.isBlank()) {
            return defaults();
        }
        Path path = Path.of(configured.strip());
        if (!Files.isRegularFile(path) && !Files.isDirectory(path)) {
            throw new IllegalArgumentException(RULES_PATH + "=" + configured + " is invalid: no such file or folder;"
                    + " allowed: a classifier rules file, a folder holding one *.yaml file, or unset for the bundled rules");
        }
        ruleFile(path); // a folder with none or several files fails here, naming the key
        RulesActionClassifier classifier = new RulesActionClassifier(read(path), path);
        LOG.info("action classifier rules from {}", classifier.source());
        return classifier;
    }

    /**
     * A classifier with the rules in {@code file}.
     *
     * @throws RulesFileException   naming the file, rule and reason when the rules are invalid
     * @throws UncheckedIOException when the file cannot be read
     */
    public static RulesActionClassifier load(Path file) {
        return new RulesActionClassifier(read(file), file);
    }

    /**
     * A classifier with the rules read from {@code in} (not closed here).
     *
     * @param sourceName names the rules in error messages, e.g. a file name
     * @throws RulesFileException naming the source, rule and reason when the rules are invalid
     */
    public static RulesActionClassifier load(InputStream in, String sourceName) {
        return new RulesActionClassifier(ClassifierRulesLoader.load(in, sourceName), null);
    }

    /** Where the rules in force came from, for logs. */
    public String source() {
        return engine.get().rules().source();
    }

    /**
     * Reads the rules again from their file and puts them in force if they are valid. An invalid
     * or unreadable file is logged at ERROR and changes nothing: the rules in force stay in force.
     *
     * @return whether new rules are in force; false too when the rules did not come from a file
     */
    public boolean reload() {
        if (path == null) {
            return false;
        }
        try {
            CompiledRules rules = read(path);
            engine.set(Engine.of(rules));
            LOG.info("action classifier rules reloaded from {}: {} rules", rules.source(), rules.ruleOrder().size());
            return true;
        } catch (RulesFileException e) {
            LOG.error("action classifier rules at {} are invalid; the rules in force stay in force:\n  {}", path,
                    String.join("\n  ", e.problems()));
        } catch (IllegalArgumentException | UncheckedIOException e) {
            LOG.error("action classifier rules at {} cannot be read; the rules in force stay in force: {}", path,
                    e.getMessage());
        }
        return false;
    }

    /**
     * Starts watching the rules file (polling every {@link #RELOAD_INTERVAL}) and {@link #reload()}s
     * after each settled edit. Empty when the rules did not come from a file (the bundled rules never
     * change). The caller owns the watcher and closes it on shutdown.
     */
    public Optional<AutoCloseable> watch() {
        return watch(RELOAD_INTERVAL);
    }

    /** {@link #watch()} with another polling interval (tests). */
    public Optional<AutoCloseable> watch(Duration interval) {
        if (path == null) {
            return Optional.empty();
        }
        return Optional.of(new FilePoller(path, interval, this::reload, "firebreak-classifier-rules-watcher").start());
    }

    private static CompiledRules read(Path path) {
        Path file = ruleFile(path);
        try (InputStream in = Files.newInputStream(file)) {
            return ClassifierRulesLoader.load(in, file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read rules file " + file, e);
        }
    }

    /** The file itself, or the one {@code *.yaml}/{@code *.yml} file of a folder. */
    private static Path ruleFile(Path path) {
        if (!Files.isDirectory(path)) {
            return path;
        }
        List<Path> files;
        try (Stream<Path> entries = Files.list(path)) {
            files = entries.filter(Files::isRegularFile).filter(p -> {
                String name = p.getFileName().toString();
                return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"));
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list rules folder " + path, e);
        }
        if (files.size() != 1) {
            throw new IllegalArgumentException(RULES_PATH + "=" + path + " is invalid: the folder holds " + files.size()
                    + " *.yaml files; allowed: a folder holding exactly one classifier rules file");
        }
        return files.get(0);
    }

    @Override
    public Verdict classifySql(String sqlText) {
        return engine.get().sql().classify(sqlText);
    }

    @Override
    public Verdict classifyShell(String commandLine) {
        return engine.get().shell().classify(commandLine);
    }

    @Override
    public Verdict classifyHttp(String method, String url, String body) {
        return engine.get().http().classify(method, url, body);
    }

    @Override
    public Verdict classify(String tool, String input) {
        Engine e = engine.get(); // one rule set for the whole call, whatever a reload does meanwhile
        ActionKind kind = e.rules().tools().kindOf(tool);
        return switch (kind) {
            case SQL -> sqlTool(e, ToolInput.sql(input));
            case SHELL -> e.shell().classify(ToolInput.shell(input));
            case HTTP -> httpTool(e, input);
            case OTHER -> new Verdict(ActionKind.OTHER, false, null, "other.unknown_tool",
                    "tool '" + Reasons.quote(tool) + "' is not mapped to sql, shell or http in the rules; kept unclassified");
        };
    }

    /**
     * SQL tools sometimes receive a client command line ({@code psql -c "..."}) instead of SQL; when
     * the parser gives up and the shell rules find something destructive, that verdict wins.
     */
    private static Verdict sqlTool(Engine e, String input) {
        Verdict v = e.sql().classify(input);
        if (v.destructive() || !"sql.unparsed".equals(v.category())) {
            return v;
        }
        Verdict asCommand = e.shell().classify(input);
        return asCommand.destructive() ? Verdicts.as(ActionKind.SQL, asCommand, "SQL tool ran a command line") : v;
    }

    private static Verdict httpTool(Engine e, String input) {
        HttpCall call = e.shell().httpCall(input); // curl/wget/HTTPie line handed to an HTTP tool
        if (call == null) {
            call = ToolInput.http(input);
        }
        if (call == null) {
            return new Verdict(ActionKind.HTTP, false, null, "http.unparsed",
                    "input is neither a call description, a request line, a URL nor a curl command: " + Reasons.quote(input));
        }
        return e.http().classify(call.method(), call.url(), call.body());
    }
}
