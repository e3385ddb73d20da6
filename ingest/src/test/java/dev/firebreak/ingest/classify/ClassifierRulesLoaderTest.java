package dev.firebreak.ingest.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.firebreak.rules.RulesFileException;
import java.io.ByteArrayInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rules-file validation: every problem names the file, the rule and the reason. */
class ClassifierRulesLoaderTest {

    private static final String HEADER = """
            version: 1
            tools: {sql: [sql], shell: [bash], http: [http]}
            rules:
            """;

    private static RulesActionClassifier load(String rules) {
        return RulesActionClassifier.load(
                new ByteArrayInputStream((HEADER + rules).getBytes(StandardCharsets.UTF_8)), "test-rules.yaml");
    }

    @Test
    void theBundledRulesLoad() {
        assertThat(RulesActionClassifier.defaults().source()).endsWith("actions.yaml");
    }

    @Test
    void ruleWithoutIdFailsNamingFileAndPosition() {
        assertThatThrownBy(() -> load("""
                  - {description: d, kind: sql, match: {statement: [drop]}, category: sql.drop, destructive: true}
                """))
                .isInstanceOf(RulesFileException.class)
                .hasMessageContaining("test-rules.yaml")
                .hasMessageContaining("rule #1 (no id)")
                .hasMessageContaining("missing id");
    }

    @Test
    void unknownKindFailsNamingRuleAndKind() {
        assertThatThrownBy(() -> load("""
                  - {id: r1, description: d, kind: powershell, match: {command: rm}, category: x.y, destructive: true}
                """))
                .isInstanceOf(RulesFileException.class)
                .hasMessageContaining("test-rules.yaml: rule 'r1'")
                .hasMessageContaining("unknown kind 'powershell'");
    }

    @Test
    void badRegexFailsNamingRuleFieldAndPattern() {
        assertThatThrownBy(() -> load("""
                  - {id: rm-broken, description: d, kind: shell, match: {command: rm, words: '(unclosed'}, category: shell.rm, destructive: true}
                """))
                .isInstanceOf(RulesFileException.class)
                .hasMessageContaining("rule 'rm-broken'")
                .hasMessageContaining("bad regex in match.words")
                .hasMessageContaining("(unclosed");
    }

    @Test
    void badGraphqlRegexIsCaughtToo() {
        assertThatThrownBy(() -> load("""
                  - {id: gql, description: d, kind: http, match: {graphql_mutation: '[delete'}, category: http.x, destructive: true}
                """))
                .hasMessageContaining("rule 'gql'").hasMessageContaining("bad regex in match.graphql_mutation");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        RulesFileException e = (RulesFileException) catchThrowable(() -> load("""
                  - {id: a, description: d, kind: sql, match: {statement: [drpo]}, category: sql.drop, destructive: true}
                  - {id: a, description: d, kind: http, match: {methods: [DELETE], command: rm}, category: http.delete, destructive: maybe}
                """));
        assertThat(e.problems()).hasSize(4);
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("rule 'a'").contains("unknown statement type 'drpo'"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("duplicate id"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("unknown key 'match.command'"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("destructive must be true or false"));
    }

    @Test
    void malformedConditionsAreRejected() {
        assertThatThrownBy(() -> load("""
                  - {id: w, description: d, kind: sql, match: {statement: [delete], where: [sometimes]}, category: sql.x, destructive: true}
                """)).hasMessageContaining("rule 'w'").hasMessageContaining("'sometimes' is not one of none, trivial, filtered");
        assertThatThrownBy(() -> load("""
                  - {id: f, description: d, kind: shell, match: {command: rm, flags: [[r]]}, category: shell.x, destructive: true}
                """)).hasMessageContaining("rule 'f'").hasMessageContaining("starting with '-'");
        assertThatThrownBy(() -> load("""
                  - {id: u, description: d, kind: sql, match: {unparsed: DROP, statement: [drop]}, category: sql.x, destructive: true}
                """)).hasMessageContaining("rule 'u'").hasMessageContaining("cannot be combined");
        assertThatThrownBy(() -> load("""
                  - {id: m, description: d, kind: http, match: {methods: [DESTROY]}, category: http.x, destructive: true}
                """)).hasMessageContaining("rule 'm'").hasMessageContaining("unknown HTTP method 'DESTROY'");
        assertThatThrownBy(() -> load("""
                  - {id: c, description: d, kind: http, match: {methods: [DELETE]}, category: Has Spaces, destructive: true}
                """)).hasMessageContaining("rule 'c'").hasMessageContaining("category must be dotted lower case");
    }

    @Test
    void fileLevelProblemsAreReported() {
        assertThatThrownBy(() -> RulesActionClassifier.load(new ByteArrayInputStream(
                "version: 2\nrules: []\n".getBytes(StandardCharsets.UTF_8)), "v2.yaml"))
                .hasMessageContaining("v2.yaml: file: version must be 1")
                .hasMessageContaining("non-empty list of rules");
        assertThatThrownBy(() -> RulesActionClassifier.load(new ByteArrayInputStream(
                "rules: [ {id: x\n".getBytes(StandardCharsets.UTF_8)), "broken.yaml"))
                .isInstanceOf(RulesFileException.class).hasMessageContaining("broken.yaml: not valid YAML");
        assertThatThrownBy(() -> load("""
                  - {id: ok, description: d, kind: sql, match: {statement: [drop]}, category: sql.drop, destructive: true}
                shell:
                  http_clients: {curl: lynx}
                """)).hasMessageContaining("shell.http_clients").hasMessageContaining("'curl' has syntax 'lynx'");
    }

    @Test
    void loadFromPathNamesThePath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("my-rules.yaml");
        Files.writeString(file, HEADER + "  - {id: r, kind: sql}\n");
        assertThatThrownBy(() -> RulesActionClassifier.load(file))
                .isInstanceOf(RulesFileException.class)
                .hasMessageContaining(file.toString() + ": rule 'r': ");
        assertThatThrownBy(() -> RulesActionClassifier.load(dir.resolve("missing.yaml")))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("missing.yaml");
    }

    @Test
    void aNewApiIsAddedAsDataAndTheFirstMatchingRuleWins() {
        RulesActionClassifier c = load("""
                  - id: acme-archive-is-fine
                    description: archiving keeps the data
                    kind: http
                    match: {graphql_mutation: '^projectArchive$'}
                    category: http.acme_archive
                    destructive: false
                  - id: acme-mutations
                    description: every other Acme project mutation wipes the project
                    kind: http
                    match: {url: 'api\\.acme\\.test/graphql', graphql_mutation: '^project'}
                    category: http.acme_wipe
                    destructive: true
                """);
        String archive = "{\"query\":\"mutation { projectArchive(id: 1) }\"}";
        String reset = "{\"query\":\"mutation { projectReset(id: 1) }\"}";
        assertThat(c.classifyHttp("POST", "https://api.acme.test/graphql", reset).category()).isEqualTo("http.acme_wipe");
        assertThat(c.classifyHttp("POST", "https://api.acme.test/graphql", reset).destructive()).isTrue();
        assertThat(c.classifyHttp("POST", "https://api.acme.test/graphql", archive).destructive()).isFalse();
        assertThat(c.classifyHttp("POST", "https://other.test/graphql", reset).ruleId()).isNull();
    }
}
