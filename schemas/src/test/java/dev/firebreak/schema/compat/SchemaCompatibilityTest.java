package dev.firebreak.schema.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fails the build when a schema change would break readers of records already in Kafka: today's
 * {@code src/main/avro} against every released version in {@code src/test/resources/schema-baselines}.
 * When releasing, copy {@code src/main/avro} to a new {@code v<N+1>} folder there.
 */
class SchemaCompatibilityTest {
    static final Path CURRENT = Path.of("src/main/avro");
    static final Path BASELINES = Path.of("src/test/resources/schema-baselines");

    @Test
    void todaysSchemasReadEveryReleasedVersion() {
        assertThat(SchemaBaselines.versions(BASELINES)).isNotEmpty();
        assertThat(SchemaBaselines.parseFolder(BASELINES.resolve("v1"))).containsKeys("AuditEvent.avsc",
                "RevokeCommand.avsc", "RevocationResult.avsc", "Alert.avsc", "DeadLetter.avsc", "PrincipalLink.avsc",
                "RowChange.avsc");
        assertThat(SchemaBaselines.breaks(CURRENT, BASELINES)).isEmpty();
    }

    @Test
    void aRequiredFieldWithoutDefaultIsCaught(@TempDir Path dir) throws IOException {
        Path current = copyOfToday(dir);
        edit(current.resolve("Alert.avsc"), "\"fields\": [",
                "\"fields\": [{\"name\": \"ticket\", \"type\": \"string\"},");

        List<String> breaks = SchemaBaselines.breaks(current, BASELINES);

        assertThat(breaks).singleElement().asString().startsWith("Alert.avsc: today's schema cannot read records written with v1")
                .contains("ticket");
    }

    @Test
    void aBreakAgainstAnOlderVersionIsCaughtEvenWhenTheLatestIsFine(@TempDir Path dir) throws IOException {
        // v2 changed n from int to string (a break that slipped out once); today reads v2 but not v1: BACKWARD
        // (latest only) would pass, BACKWARD_TRANSITIVE must not.
        Path baselines = dir.resolve("baselines");
        Path v1 = Files.createDirectories(baselines.resolve("v1"));
        Path v2 = Files.createDirectories(baselines.resolve("v2"));
        Files.writeString(v1.resolve("X.avsc"), record("{\"name\": \"n\", \"type\": \"int\"}"));
        Files.writeString(v2.resolve("X.avsc"), record("{\"name\": \"n\", \"type\": \"string\"}"));
        Path current = Files.createDirectories(dir.resolve("current"));
        Files.writeString(current.resolve("X.avsc"), record("{\"name\": \"n\", \"type\": \"string\"}"));

        assertThat(SchemaBaselines.breaks(current, baselines)).singleElement().asString()
                .startsWith("X.avsc: today's schema cannot read records written with v1");
    }

    @Test
    void aRemovedSchemaAndATypeChangeAreCaughtWhileAnOptionalFieldIsAllowed(@TempDir Path dir) throws IOException {
        Path current = copyOfToday(dir);
        Files.delete(current.resolve("PrincipalLink.avsc"));
        edit(current.resolve("DeadLetter.avsc"), "\"fields\": [",
                "\"fields\": [{\"name\": \"note\", \"type\": [\"null\", \"string\"], \"default\": null},");
        String audit = Files.readString(current.resolve("AuditEvent.avsc"));
        Files.writeString(current.resolve("AuditEvent.avsc"),
                audit.replaceFirst("\"name\": \"event_id\", \"type\": \"string\"", "\"name\": \"event_id\", \"type\": \"long\""));
        assertThat(Files.readString(current.resolve("AuditEvent.avsc"))).isNotEqualTo(audit);

        List<String> breaks = SchemaBaselines.breaks(current, BASELINES);

        assertThat(breaks).hasSize(2);
        assertThat(breaks).anySatisfy(b -> assertThat(b).startsWith("PrincipalLink.avsc: present in v1 but no longer"));
        assertThat(breaks).anySatisfy(b -> assertThat(b).startsWith("AuditEvent.avsc:").contains("TYPE_MISMATCH", "/fields/0/type"));
    }

    private static Path copyOfToday(Path dir) throws IOException {
        Path current = Files.createDirectories(dir.resolve("current"));
        try (var files = Files.list(CURRENT)) {
            for (Path f : files.toList()) {
                Files.copy(f, current.resolve(f.getFileName()));
            }
        }
        return current;
    }

    private static void edit(Path file, String find, String replacement) throws IOException {
        String text = Files.readString(file);
        assertThat(text).contains(find);
        Files.writeString(file, text.replaceFirst(java.util.regex.Pattern.quote(find), replacement));
    }

    private static String record(String field) {
        return "{\"type\": \"record\", \"name\": \"X\", \"namespace\": \"t\", \"fields\": [" + field + "]}";
    }
}
