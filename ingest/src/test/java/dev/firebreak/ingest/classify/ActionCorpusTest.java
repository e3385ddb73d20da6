package dev.firebreak.ingest.classify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.firebreak.ingest.classify.ActionClassifier.ActionKind;
import dev.firebreak.ingest.classify.ActionClassifier.Verdict;
import java.io.IOException;
import java.io.InputStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Runs every entry of corpus.yaml through the bundled rules and checks the corpus itself. */
class ActionCorpusTest {

    private static final RulesActionClassifier CLASSIFIER = RulesActionClassifier.defaults();
    private static final List<CorpusEntry> CORPUS = CorpusEntry.load();

    static List<CorpusEntry> corpus() {
        return CORPUS;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void verdictIsTheExpectedOne(CorpusEntry entry) {
        Verdict v = entry.classify(CLASSIFIER);
        assertThat(v).as("verdict").isNotNull();
        assertThat(v.destructive()).as("destructive; verdict %s", v).isEqualTo(entry.destructive());
        assertThat(v.category()).as("category; verdict %s", v).isEqualTo(entry.category());
        assertThat(v.kind()).as("kind; verdict %s", v).isEqualTo(entry.kind());
        if (entry.rule() != null) {
            assertThat(v.ruleId()).as("rule; verdict %s", v).isEqualTo(entry.rule());
        }
        assertThat(v.reason()).as("reason").isNotBlank();
        if (v.destructive()) {
            assertThat(v.ruleId()).as("a destructive verdict names its rule").isNotNull();
        }
    }

    @Test
    void corpusIsLargeBalancedAndCoversEveryKind() {
        long destructive = CORPUS.stream().filter(CorpusEntry::destructive).count();
        long benign = CORPUS.size() - destructive;
        assertThat(CORPUS).hasSizeGreaterThanOrEqualTo(100);
        assertThat(destructive).isGreaterThanOrEqualTo(40);
        assertThat(benign).isGreaterThanOrEqualTo(40);
        Set<ActionKind> kinds = CORPUS.stream().map(CorpusEntry::kind)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(ActionKind.class)));
        assertThat(kinds).containsExactlyInAnyOrder(ActionKind.values());
        for (ActionKind k : List.of(ActionKind.SQL, ActionKind.SHELL, ActionKind.HTTP)) {
            assertThat(CORPUS.stream().filter(e -> e.kind() == k && e.destructive())).as("destructive %s", k).isNotEmpty();
            assertThat(CORPUS.stream().filter(e -> e.kind() == k && !e.destructive())).as("benign %s", k).isNotEmpty();
        }
        assertThat(CORPUS.stream().map(CorpusEntry::via).distinct()).contains("sql", "shell", "http", "tool");
    }

    /** A destructive rule no corpus entry reaches is a rule nobody has seen work. */
    @Test
    void everyDestructiveRuleIsExercisedByTheCorpus() throws IOException {
        Set<String> exercised = CORPUS.stream().map(e -> e.classify(CLASSIFIER)).filter(Verdict::destructive)
                .map(Verdict::ruleId).collect(Collectors.toCollection(TreeSet::new));
        assertThat(exercised).containsAll(destructiveRuleIds());
    }

    private static Set<String> destructiveRuleIds() throws IOException {
        try (InputStream in = ActionCorpusTest.class.getResourceAsStream(RulesActionClassifier.BUNDLED_RULES)) {
            JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(in).get("rules");
            Set<String> ids = new TreeSet<>();
            rules.forEach(r -> {
                if (r.path("destructive").asBoolean()) {
                    ids.add(r.get("id").asText());
                }
            });
            assertThat(ids).hasSizeGreaterThan(30);
            return ids;
        }
    }
}
