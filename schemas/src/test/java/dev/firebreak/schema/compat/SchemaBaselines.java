package dev.firebreak.schema.compat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Checks today's {@code .avsc} files against every released version kept as a baseline, with
 * BACKWARD_TRANSITIVE semantics: a reader with today's schema must read records written with
 * each earlier version, not only the last one, because Kafka keeps records written by every
 * release still within retention. Uses Avro's own {@link SchemaCompatibility}, the rule the
 * registry applies too.
 *
 * <p>Layout: {@code <baselines>/v<N>/<Name>.avsc}, one folder per released version, each a copy
 * of the schema folder at that release. {@code common.avsc} holds types the others import; it is
 * parsed first in each folder, as the Avro Maven plugin's {@code <imports>} does.
 */
final class SchemaBaselines {
    static final String IMPORTS = "common.avsc";

    private SchemaBaselines() {
    }

    /**
     * Every way today's schemas break readers of a baseline: a schema that can no longer read a
     * version's records, or a schema a baseline had that is gone (its topic's records would be
     * unreadable). Empty when every change is backward compatible with every version.
     */
    static List<String> breaks(Path current, Path baselines) {
        Map<String, Schema> now = parseFolder(current);
        List<String> problems = new ArrayList<>();
        for (Path version : versions(baselines)) {
            parseFolder(version).forEach((file, old) -> {
                Schema reader = now.get(file);
                if (reader == null) {
                    problems.add(file + ": present in " + version.getFileName() + " but no longer in " + current);
                    return;
                }
                SchemaPairCompatibility result = SchemaCompatibility.checkReaderWriterCompatibility(reader, old);
                if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
                    problems.add(file + ": today's schema cannot read records written with " + version.getFileName()
                            + ": " + result.getResult().getIncompatibilities());
                }
            });
        }
        return problems;
    }

    /** The baseline folders {@code v1, v2, ...} in version order; at least one must exist. */
    static List<Path> versions(Path baselines) {
        try (Stream<Path> folders = Files.list(baselines)) {
            List<Path> versions = folders.filter(Files::isDirectory)
                    .filter(p -> p.getFileName().toString().matches("v\\d+"))
                    .sorted((a, b) -> Integer.compare(number(a), number(b))).toList();
            if (versions.isEmpty()) {
                throw new IllegalStateException("no baseline versions (v1, v2, ...) under " + baselines);
            }
            return versions;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** File name to top-level schema of every {@code .avsc} in {@code folder}, imports parsed first. */
    static Map<String, Schema> parseFolder(Path folder) {
        Schema.Parser parser = new Schema.Parser();
        Map<String, Schema> schemas = new TreeMap<>();
        Path imports = folder.resolve(IMPORTS);
        if (Files.exists(imports)) {
            schemas.put(IMPORTS, parse(parser, imports));
        }
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".avsc")).sorted().toList()) {
                String name = file.getFileName().toString();
                if (!name.equals(IMPORTS)) {
                    schemas.put(name, parse(parser, file));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return schemas;
    }

    private static Schema parse(Schema.Parser parser, Path file) {
        try {
            return parser.parse(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static int number(Path version) {
        return Integer.parseInt(version.getFileName().toString().substring(1));
    }
}
