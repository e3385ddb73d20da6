package dev.firebreak.rules.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.rules.RulesFileException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The YAML reader both rule languages share: positions, shapes, and every problem with file and line. */
class YamlReaderTest {

    private final YamlReader reader = new YamlReader();

    private YamlNode parse(String text) {
        return YamlDocument.parse("f.yaml", text, reader);
    }

    @Test
    void nodesKnowTheirFileLineAndColumn() {
        YamlNode root = parse("a: 1\nb:\n  - x\n  - {c: d}\n");
        assertThat(root.isMapping()).isTrue();
        assertThat(root.get("a").text()).isEqualTo("1");
        assertThat(root.get("a").location()).isEqualTo("f.yaml:1");
        List<YamlNode> items = root.get("b").items();
        assertThat(items).hasSize(2);
        assertThat(items.get(1).line()).isEqualTo(4);
        assertThat(items.get(1).column()).isEqualTo(5);
        assertThat(items.get(1).get("c").text()).isEqualTo("d");
        assertThat(root.get("missing")).isNull();
        assertThat(reader.hasProblems()).isFalse();
    }

    @Test
    void anEmptyTextDefinesNothingAndASyntaxErrorIsAProblemWithItsLine() {
        assertThat(parse("")).isNull();
        assertThat(parse("# only a comment\n")).isNull();
        assertThat(reader.hasProblems()).isFalse();
        assertThat(parse("a: [\n  - b\n")).isNull();
        assertThat(reader.problems()).singleElement().satisfies(p -> {
            assertThat(p.file()).isEqualTo("f.yaml");
            assertThat(p.line()).isEqualTo(2);
            assertThat(p.text()).startsWith("f.yaml:2: not valid YAML: ");
        });
    }

    @Test
    void anAliasBombIsRefused() {
        StringBuilder bomb = new StringBuilder("a: &a [x, x]\n");
        for (int i = 0; i < 60; i++) {
            bomb.append("b").append(i).append(": [*a, *a]\n");
        }
        assertThat(parse(bomb.toString())).isNull();
        assertThat(reader.problems()).singleElement().satisfies(p -> assertThat(p.text()).contains("not valid YAML"));
    }

    @Test
    void unknownAndRepeatedKeysAreProblemsAtTheKeysLine() {
        YamlNode root = parse("id: x\ntreshold: 3\nid: y\n");
        Map<String, YamlNode> keys = reader.mapping(root, Set.of("id", "threshold"), "rule 'x': ", "match.");
        assertThat(keys).containsOnlyKeys("id");
        assertThat(reader.problems()).extracting(RulesFileException.Problem::text).containsExactly(
                "f.yaml:2: rule 'x': unknown key 'match.treshold'; allowed: id, threshold",
                "f.yaml:3: rule 'x': key 'match.id' is repeated");
    }

    @Test
    void shapesAreChecked() {
        YamlNode root = parse("list: [a, b]\none: a\nnested: [a, [b]]\nmap: {k: v}\nnothing:\n");
        assertThat(reader.values(root.get("list"), "list")).containsExactly("a", "b");
        assertThat(reader.values(root.get("one"), "one")).containsExactly("a");
        assertThat(reader.values(root.get("nothing"), "nothing")).isEmpty();
        assertThat(reader.values(null, "absent")).isEmpty();
        assertThat(reader.values(root.get("nested"), "nested")).containsExactly("a");
        assertThat(reader.values(root.get("map"), "map")).isEmpty();
        assertThat(reader.sequence(root.get("one"), "one")).isEmpty();
        assertThat(reader.scalar(root.get("list"), "list")).isNull();
        assertThat(reader.mapping(root.get("list"), Set.of("k"), "")).isNull();
        assertThat(reader.problems()).extracting(RulesFileException.Problem::text).containsExactly(
                "f.yaml:3: nested must list plain values",
                "f.yaml:4: map must be a list",
                "f.yaml:2: one must be a list",
                "f.yaml:1: list must be a single value",
                "f.yaml:1: expected a mapping with keys k");
    }

    @Test
    void booleansArePlainTrueOrFalseOnly() {
        YamlNode root = parse("a: true\nb: False\nc: yes\nd: 'true'\n");
        assertThat(reader.bool(root.get("a"), null, "a?")).isTrue();
        assertThat(reader.bool(root.get("b"), null, "b?")).isFalse();
        assertThat(reader.bool(root.get("c"), null, "c must be true or false")).isNull();
        assertThat(reader.bool(root.get("d"), null, "d must be true or false")).isNull();
        assertThat(reader.bool(null, true, "absent")).isTrue();
        assertThat(reader.problems()).extracting(RulesFileException.Problem::text).containsExactly(
                "f.yaml:3: c must be true or false", "f.yaml:4: d must be true or false");
    }

    @Test
    void numbersRegexesAndParsedValues() {
        YamlNode root = parse("n: 10_000\nbad: ten\nre: 'a(b'\nd: 5x\n");
        assertThat(reader.integer(root.get("n"), 0, "n?")).isEqualTo(10_000);
        assertThat(reader.integer(root.get("bad"), 0, "bad must be a whole number")).isNull();
        assertThat(reader.integer(null, 7, "absent")).isEqualTo(7);
        Pattern re = reader.regex(root.get("re"), "re", 0, e -> "re: " + e.getDescription());
        assertThat(re).isNull();
        Integer d = reader.parsed(root.get("d"), "d", "a number", Integer::valueOf);
        assertThat(d).isNull();
        assertThat(reader.problems()).extracting(RulesFileException.Problem::text).containsExactly(
                "f.yaml:2: bad must be a whole number",
                "f.yaml:3: re: Unclosed group",
                "f.yaml:4: d=5x is invalid; allowed: a number");
    }

    @Test
    void aLoaderChoosesHowProblemsReadAndAllAreThrownTogether() {
        YamlReader custom = new YamlReader((file, line, reason) -> file + ": " + reason + " (line " + line + ")");
        YamlNode root = YamlDocument.parse("c.yaml", "a: 1\nb: 2\n", custom);
        custom.fail(root.get("b"), "b is wrong");
        custom.fail("c.yaml", "the file is wrong too");
        assertThatThrownBy(() -> custom.throwIfProblems("classifier"))
                .isInstanceOf(RulesFileException.class)
                .hasMessage("invalid classifier rules:\n  c.yaml: b is wrong (line 2)\n  c.yaml: the file is wrong too (line 0)")
                .satisfies(e -> assertThat(((RulesFileException) e).located())
                        .extracting(RulesFileException.Problem::line).containsExactly(2, 0));
        new YamlReader().throwIfProblems("detection"); // nothing found, nothing thrown
    }

    @Test
    void problemsGivenAsTextKeepTheirFileAndLine() {
        RulesFileException e = new RulesFileException(List.of("a.yaml:12: rule 'x': bad", "dir: no rule files"));
        assertThat(e.problems()).containsExactly("a.yaml:12: rule 'x': bad", "dir: no rule files");
        assertThat(e.located()).extracting(RulesFileException.Problem::file).containsExactly("a.yaml", "dir");
        assertThat(e.located()).extracting(RulesFileException.Problem::line).containsExactly(12, 0);
        assertThat(e.getMessage()).startsWith("invalid detection rules:\n  a.yaml:12: ");
    }
}
