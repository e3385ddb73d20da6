package dev.firebreak.export.ocsf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Compiles one OCSF event class from the OCSF project's own schema source (vendored under
 * {@code src/test/resources/ocsf-schema-1.8.0}, see ORIGIN.md there) into a JSON Schema (2020-12), as
 * the OCSF server's JSON Schema export does: the class's {@code extends} chain and {@code $include}s,
 * attribute types from the dictionary (down to their base types, with the types' regexes), enum values
 * (dictionary and class merged), {@code required} attributes, object definitions with their own chains
 * and {@code at_least_one}/{@code just_one} constraints, and no attribute the class does not define.
 * Attributes of profiles not applied are left out. Then validates records against it (networknt).
 */
final class OcsfSchema {
    static final Path ROOT = Path.of("src/test/resources/ocsf-schema-1.8.0");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode dictionary;
    private final JsonNode types;
    private final Map<String, Path> events = new HashMap<>();
    private final Set<String> profiles;

    /** @param profiles the OCSF profiles the records declare in {@code metadata.profiles} */
    OcsfSchema(Set<String> profiles) throws IOException {
        this.profiles = profiles;
        this.dictionary = read(ROOT.resolve("dictionary.json")).get("attributes");
        this.types = read(ROOT.resolve("dictionary.json")).path("types").path("attributes");
        try (Stream<Path> files = Files.walk(ROOT.resolve("events"))) {
            files.filter(p -> p.toString().endsWith(".json")).forEach(p -> events.put(read(p).get("name").asText(), p));
        }
    }

    String version() {
        return read(ROOT.resolve("version.json")).get("version").asText();
    }

    /** The JSON Schema of class {@code name} (e.g. {@code detection_finding}). */
    ObjectNode compile(String name) {
        JsonNode cls = read(events.get(name));
        int categoryUid = read(ROOT.resolve("categories.json")).path("attributes").path(cls.path("category").asText(
                categoryOf(name))).path("uid").asInt();
        int classUid = categoryUid * 1000 + cls.get("uid").asInt();
        Map<String, ObjectNode> defs = new LinkedHashMap<>();
        ObjectNode schema = shape(attributes(name, true), defs);
        schema.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        // The dictionary lists only 0 (Unknown) for these: the class fixes them, and type_uid follows activity_id.
        ObjectNode properties = (ObjectNode) schema.get("properties");
        properties.set("class_uid", JSON.createObjectNode().put("type", "integer").put("const", classUid));
        properties.set("category_uid", JSON.createObjectNode().put("type", "integer").put("const", categoryUid));
        ArrayNode typeUids = JSON.createArrayNode();
        properties.path("activity_id").path("enum").forEach(a -> typeUids.add(classUid * 100L + a.asLong()));
        properties.set("type_uid", JSON.createObjectNode().put("type", "integer").set("enum", typeUids));
        schema.set("$defs", JSON.valueToTree(defs));
        return schema;
    }

    /** Validation errors of {@code record} against class {@code name}; empty when it conforms. */
    List<String> validate(String name, JsonNode record) {
        Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(compile(name));
        List<String> problems = new ArrayList<>();
        schema.validate(record).forEach(e -> problems.add(e.toString()));
        return problems;
    }

    private String categoryOf(String name) {
        JsonNode parent = read(events.get(name));
        return parent.has("category") ? parent.get("category").asText() : categoryOf(parent.get("extends").asText());
    }

    /** Attributes of an event class or object, its chain first, includes next, its own last (they win). */
    private Map<String, ObjectNode> attributes(String name, boolean event) {
        JsonNode def = event ? read(events.get(name)) : read(ROOT.resolve("objects/" + name + ".json"));
        Map<String, ObjectNode> out = new LinkedHashMap<>();
        String parent = def.path("extends").asText(null);
        if (parent != null && (event ? events.containsKey(parent) : Files.exists(ROOT.resolve("objects/" + parent + ".json")))) {
            out.putAll(attributes(parent, event));
        }
        JsonNode own = def.path("attributes");
        for (JsonNode include : own.path("$include")) {
            JsonNode included = read(ROOT.resolve(include.asText()));
            String profile = "profile".equals(included.path("meta").asText()) ? included.get("name").asText() : null;
            included.path("attributes").fields().forEachRemaining(e -> {
                ObjectNode merged = merge(out.get(e.getKey()), e.getValue());
                if (profile != null && !merged.has("profile")) {
                    merged.put("profile", profile);
                }
                out.put(e.getKey(), merged);
            });
        }
        own.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("$include")) {
                ObjectNode merged = merge(out.get(e.getKey()), e.getValue());
                if (!e.getValue().has("profile")) {
                    merged.remove("profile"); // defined by the class itself: not a profile's attribute
                }
                out.put(e.getKey(), merged);
            }
        });
        out.values().removeIf(a -> a.hasNonNull("profile") && !profiles.contains(a.get("profile").asText()));
        if (def.has("constraints")) {
            out.put("$constraints", (ObjectNode) def.get("constraints"));
        }
        return out;
    }

    private ObjectNode shape(Map<String, ObjectNode> attributes, Map<String, ObjectNode> defs) {
        ObjectNode schema = JSON.createObjectNode().put("type", "object").put("additionalProperties", false);
        ObjectNode properties = schema.putObject("properties");
        ArrayNode required = schema.putArray("required");
        attributes.forEach((attr, spec) -> {
            if (attr.equals("$constraints")) {
                return;
            }
            properties.set(attr, property(attr, spec, defs));
            if ("required".equals(spec.path("requirement").asText())) {
                required.add(attr);
            }
        });
        ObjectNode constraints = attributes.get("$constraints");
        if (constraints != null) {
            for (String kind : List.of("at_least_one", "just_one")) {
                if (constraints.has(kind)) {
                    ArrayNode options = schema.putArray(kind.equals("at_least_one") ? "anyOf" : "oneOf");
                    constraints.get(kind).forEach(a -> options.addObject().putArray("required").add(a.asText()));
                }
            }
        }
        return schema;
    }

    private JsonNode property(String attr, ObjectNode spec, Map<String, ObjectNode> defs) {
        JsonNode entry = dictionary.path(attr);
        String type = spec.has("type") ? spec.get("type").asText() : entry.path("type").asText("string_t");
        ObjectNode item = JSON.createObjectNode();
        if (type.equals("object")) {
            item.put("type", "object");
        } else if (type.endsWith("_t")) {
            base(type, item);
            ArrayNode values = JSON.createArrayNode();
            for (JsonNode source : List.of(entry.path("enum"), spec.path("enum"))) {
                for (Iterator<String> keys = source.fieldNames(); keys.hasNext(); ) {
                    String key = keys.next();
                    if (item.path("type").asText().equals("integer")) {
                        values.add(Integer.parseInt(key));
                    } else {
                        values.add(key);
                    }
                }
            }
            if (!values.isEmpty()) {
                item.set("enum", values);
            }
        } else {
            if (!defs.containsKey(type)) {
                defs.put(type, JSON.createObjectNode()); // placeholder first: objects may be recursive
                defs.put(type, shape(attributes(type, false), defs));
            }
            item.put("$ref", "#/$defs/" + type);
        }
        boolean array = spec.has("is_array") ? spec.get("is_array").asBoolean() : entry.path("is_array").asBoolean();
        if (array) {
            ObjectNode wrapper = JSON.createObjectNode().put("type", "array");
            wrapper.set("items", item);
            return wrapper;
        }
        return item;
    }

    /** Follows a dictionary type down to a JSON type, keeping the first regex met. */
    private void base(String type, ObjectNode into) {
        JsonNode t = types.path(type);
        if (t.has("regex") && !into.has("pattern")) {
            into.put("pattern", t.get("regex").asText());
        }
        switch (type) {
            case "string_t" -> into.put("type", "string");
            case "integer_t", "long_t" -> into.put("type", "integer");
            case "float_t" -> into.put("type", "number");
            case "boolean_t" -> into.put("type", "boolean");
            case "json_t" -> { }
            default -> {
                if (!t.has("type")) {
                    throw new IllegalStateException("unknown OCSF type " + type);
                }
                base(t.get("type").asText(), into);
            }
        }
    }

    private static ObjectNode merge(ObjectNode base, JsonNode override) {
        ObjectNode out = base == null ? JSON.createObjectNode() : base.deepCopy();
        override.fields().forEachRemaining(e -> out.set(e.getKey(), e.getValue()));
        return out;
    }

    private static JsonNode read(Path path) {
        try {
            return JSON.readTree(path.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
