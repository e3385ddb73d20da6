package dev.firebreak.rules;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The JSON Schemas editors use for rule files (rules/schema/) accept every rule file this repository
 * ships, and refuse what the loaders refuse for their shape. The loaders stay the authority; the
 * schemas only must never reject a file the loaders accept, or an editor would flag good rules.
 */
class RuleFileSchemasTest {
    private static final Path RULES = Path.of("..", "rules");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void everyDetectionRuleFileOfTheRepositoryConforms() throws IOException {
        Schema schema = schema("detection-rules.schema.json");
        List<Path> files = yamlFiles(RULES);
        assertThat(files).extracting(p -> p.getFileName().toString())
                .containsExactlyInAnyOrderElementsOf(RulesLoader.BUNDLED_FILES);
        for (Path file : files) {
            assertThat(errors(schema, read(file))).as(file.toString()).isEmpty();
        }
    }

    @Test
    void theBundledDetectionRulesConform() throws IOException {
        Schema schema = schema("detection-rules.schema.json");
        for (String file : RulesLoader.BUNDLED_FILES) {
            try (InputStream in = RulesLoader.class.getResourceAsStream(RulesLoader.BUNDLED_FOLDER + file)) {
                assertThat(in).as(file).isNotNull();
                assertThat(errors(schema, YAML.readTree(in))).as(file).isEmpty();
            }
        }
    }

    @Test
    void everyClassifierRuleFileOfTheRepositoryConforms() throws IOException {
        Schema schema = schema("classifier-rules.schema.json");
        List<Path> files = yamlFiles(RULES.resolve("classifier"));
        assertThat(files).extracting(p -> p.getFileName().toString()).contains("actions.yaml");
        for (Path file : files) {
            assertThat(errors(schema, read(file))).as(file.toString()).isEmpty();
        }
    }

    @Test
    void aMisspeltDetectionRuleIsRefusedByTheSchemaAsByTheLoader() throws IOException {
        String bad = """
                version: 1
                rules:
                  - id: truncates
                    description: d
                    match: {action: [TRUNCATE]}
                    treshold: 2
                    window: 5s
                    severity: loud
                """;
        List<String> errors = errors(schema("detection-rules.schema.json"), YAML.readTree(bad));
        assertThat(errors).anySatisfy(e -> assertThat(e).contains("treshold"));
        assertThat(errors).anySatisfy(e -> assertThat(e).contains("threshold"));
        assertThat(errors).anySatisfy(e -> assertThat(e).contains("severity"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RulesLoader.load(
                java.util.Map.of("bad.yaml", bad), Instant.parse("2026-06-01T00:00:00Z")))
                .isInstanceOf(RulesFileException.class);
    }

    @Test
    void aGuardWithAKeyItsKindDoesNotTakeIsRefused() throws IOException {
        String bad = """
                guards:
                  - {id: a, description: d, kind: statement_drops, relations: 10, window: 1s}
                """;
        assertThat(errors(schema("detection-rules.schema.json"), YAML.readTree(bad)))
                .anySatisfy(e -> assertThat(e).contains("window"));
    }

    @Test
    void aBrokenClassifierRuleIsRefused() throws IOException {
        String bad = """
                version: 1
                tools: {sql: [sql]}
                rules:
                  - {id: a, description: d, kind: http, match: {methods: [DESTROY], command: rm}, category: x.y, destructive: maybe}
                """;
        List<String> errors = errors(schema("classifier-rules.schema.json"), YAML.readTree(bad));
        assertThat(errors).isNotEmpty();
        assertThat(String.join("\n", errors)).contains("command").contains("destructive");
    }

    private static Schema schema(String name) throws IOException {
        JsonNode json = new ObjectMapper().readTree(RULES.resolve("schema").resolve(name).toFile());
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(json);
    }

    private static List<String> errors(Schema schema, JsonNode document) {
        List<String> out = new ArrayList<>();
        schema.validate(document).forEach(e -> out.add(e.toString()));
        return out;
    }

    private static JsonNode read(Path file) throws IOException {
        return YAML.readTree(file.toFile());
    }

    private static List<Path> yamlFiles(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isRegularFile)
                    .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        }
    }
}
