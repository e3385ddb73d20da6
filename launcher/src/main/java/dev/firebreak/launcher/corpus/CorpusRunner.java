package dev.firebreak.launcher.corpus;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.rules.RulesLoader;
import dev.firebreak.launcher.corpus.ConfusionTable.CaseRun;
import dev.firebreak.launcher.corpus.ConfusionTable.Verdict;
import dev.firebreak.launcher.pipeline.Pipeline;
import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.rules.RuleFiles;
import dev.firebreak.launcher.stack.LocalStack;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs corpus cases on the real in-JVM stack (embedded Kafka, PostgreSQL 17, schema registry) with
 * the whole pipeline running an operator's rule files: capture, guard, detection, kill switch. Each
 * case acts as roles of its own; once every case has run and the pipeline has settled, the
 * decisions are read back from the topics and judged by {@link ConfusionTable}.
 */
public final class CorpusRunner {
    private static final Logger LOG = LoggerFactory.getLogger(CorpusRunner.class);
    public static final String CLUSTER = "corpus";

    /**
     * @param rules  rule files or folders; empty for the bundled rules
     * @param globs  case id globs ({@code *} any characters, {@code ?} one); empty for every case
     * @param settle how long to wait after the last case for late decisions
     */
    public record Settings(List<Path> rules, List<String> globs, Duration settle) {
        public Settings {
            rules = List.copyOf(rules);
            globs = List.copyOf(globs);
        }
    }

    private CorpusRunner() {
    }

    /** Every case of the corpus, benign first. */
    public static List<CorpusCase> corpus() {
        List<CorpusCase> all = new ArrayList<>(BenignCorpus.cases());
        all.addAll(AttackCorpus.cases());
        return all;
    }

    /** The cases whose id matches any glob (all of them without globs). */
    public static List<CorpusCase> select(List<CorpusCase> cases, List<String> globs) {
        if (globs.isEmpty()) {
            return cases;
        }
        List<Pattern> patterns = globs.stream().map(CorpusRunner::glob).toList();
        return cases.stream().filter(c -> patterns.stream().anyMatch(p -> p.matcher(c.id()).matches())).toList();
    }

    static Pattern glob(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char ch : glob.toCharArray()) {
            switch (ch) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        return Pattern.compile(regex.toString());
    }

    /** Starts the stack and the pipeline with {@code settings.rules()}, runs the selected cases, judges them. */
    public static ConfusionTable run(Settings settings, Consumer<String> progress) throws Exception {
        List<CorpusCase> cases = select(corpus(), settings.globs());
        if (cases.isEmpty()) {
            throw new IllegalArgumentException("no corpus case matches " + settings.globs() + "; cases: "
                    + corpus().stream().map(CorpusCase::id).toList());
        }
        Path rulesFolder = rulesFolder(settings.rules());
        try (LocalStack stack = LocalStack.start(1, progress)) {
            Map<String, String> flat = PipelineSettings.stackMap(stack, CLUSTER, List.of());
            flat.put(DetectionConfig.RULES_PATH, rulesFolder.toString());
            PipelineSettings pipelineSettings = PipelineSettings.fromMap(flat);
            try (Pipeline pipeline = Pipeline.start(pipelineSettings, new SimpleMeterRegistry(), progress)) {
                CorpusContext.AgentEndpoint agents = pipeline.agentActionsUrl()
                        .map(url -> new CorpusContext.AgentEndpoint(url, pipelineSettings.agentActions().httpTokens().get(0)))
                        .orElse(null);
                List<CaseRun> runs = new ArrayList<>();
                int index = 0;
                for (CorpusCase c : cases) {
                    index++;
                    progress.accept(String.format("corpus %d/%d: %s", index, cases.size(), c.id()));
                    runs.add(runCase(c, String.format("c%02d", index), stack, agents));
                }
                progress.accept("waiting " + settings.settle().toMillis() + " ms for late decisions");
                Thread.sleep(settings.settle().toMillis());
                CorpusOutcomes outcomes = CorpusOutcomes.read(stack.adminClientProperties(), stack.registryUrl(),
                        Duration.ofSeconds(60));
                return ConfusionTable.of(runs, outcomes);
            }
        } finally {
            deleteQuietly(rulesFolder);
        }
    }

    private static CaseRun runCase(CorpusCase c, String prefix, LocalStack stack, CorpusContext.AgentEndpoint agents) {
        List<String> notes = new CopyOnWriteArrayList<>();
        CorpusContext ctx = new CorpusContext(stack.postgres(), CLUSTER, prefix, LocalStack::makeLockable, agents,
                stack.adminClientProperties(), stack.registryUrl(), notes::add);
        long start = System.nanoTime();
        try {
            List<String> principals = c.body().run(ctx);
            notes.add(String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - start) / 1e9));
            return new CaseRun(c.id(), c.kind(), c.description(), principals, notes, null, null);
        } catch (CorpusSkipped e) {
            return new CaseRun(c.id(), c.kind(), c.description(), List.of(), notes, Verdict.SKIPPED, "skipped: " + e.getMessage());
        } catch (Exception e) {
            LOG.warn("corpus case {} failed to run", c.id(), e);
            return new CaseRun(c.id(), c.kind(), c.description(), List.of(), notes, Verdict.ERROR,
                    "did not run: " + CorpusContext.firstLine(e));
        }
    }

    /**
     * One folder holding every given rule file, as detection and the guard read a folder; validated
     * first with the real loader so a bad file fails here with file:line. Without paths: the bundled rules.
     */
    static Path rulesFolder(List<Path> paths) throws IOException {
        Path folder = Files.createTempDirectory("firebreak-corpus-rules");
        if (paths.isEmpty()) {
            for (String file : RulesLoader.BUNDLED_FILES) {
                try (InputStream in = RulesLoader.class.getResourceAsStream(RulesLoader.BUNDLED_FOLDER + file)) {
                    Files.copy(in, folder.resolve(file));
                }
            }
            return folder;
        }
        RuleFiles.load(paths, Instant.now());
        int n = 0;
        for (Path path : paths) {
            List<Path> files;
            if (Files.isDirectory(path)) {
                try (Stream<Path> list = Files.list(path)) {
                    files = list.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
                }
            } else {
                files = List.of(path);
            }
            for (Path file : files) {
                // numbered so that files of the same name from two folders both arrive, in the given order
                Files.copy(file, folder.resolve(String.format("%02d-%s", ++n, file.getFileName())));
            }
        }
        return folder;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp folder left behind is harmless
        }
    }
}
