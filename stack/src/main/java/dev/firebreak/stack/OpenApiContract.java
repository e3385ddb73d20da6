package dev.firebreak.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.OpenApi31;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One OpenAPI 3.1 document of {@code docs/openapi/}, for tests that hold a real server (or client) to it:
 * the document itself is checked against the OpenAPI specification's JSON Schema by a reference
 * validator ({@link #documentProblems()}), and real requests and responses against the document's
 * schemas with networknt's OpenAPI 3.1 dialect. Test support only: networknt is an optional
 * dependency of this module, which the test scopes of ingest and killswitch bring in.
 */
public final class OpenApiContract {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BASE = "https://firebreak.invalid/openapi/";

    private final Path path;
    private final JsonNode document;
    private final SchemaRegistry registry;
    private final String iri;

    private OpenApiContract(Path path) throws IOException {
        this.path = path;
        this.document = new YAMLMapper().readTree(path.toFile());
        this.iri = BASE + path.getFileName() + ".json";
        String json = JSON.writeValueAsString(document);
        this.registry = SchemaRegistry.withDefaultDialect(OpenApi31.getInstance(), b -> b.schemas(Map.of(iri, json)));
    }

    /** Loads {@code docs/openapi/<file>} of the checkout, found from the working directory. */
    public static OpenApiContract load(String file) throws IOException {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("docs/openapi").resolve(file);
            if (Files.isRegularFile(candidate)) {
                return new OpenApiContract(candidate);
            }
        }
        throw new IllegalStateException("no docs/openapi/" + file + " above " + Path.of("").toAbsolutePath());
    }

    public JsonNode document() {
        return document;
    }

    /** Empty when the reference validator accepts the document as OpenAPI 3.1, else what it reported. */
    public List<String> documentProblems() throws IOException, InterruptedException {
        ReferenceNode.Run run = ReferenceNode.run("openapi.mjs", Map.of(), path.toString());
        if (run.exitCode() == 0 && run.out().startsWith("VALID 3.1")) {
            return List.of();
        }
        return List.of(run.out());
    }

    /**
     * Problems of a request body sent to (or by) {@code operation}, a JSON pointer such as
     * {@code /paths/~1v1~1actions/post} or {@code /webhooks/revoke/post}; empty when it conforms.
     */
    public List<String> requestProblems(String operation, String contentType, String body) {
        String pointer = operation + "/requestBody/content";
        JsonNode content = document.at(pointer);
        String media = media(contentType);
        if (!content.has(media)) {
            return List.of("request content type " + media + " is not documented at " + pointer);
        }
        return bodyProblems(pointer + "/" + escape(media) + "/schema", body);
    }

    /**
     * Problems of a request's headers against the {@code in: header} parameters of {@code operation}:
     * each required one present, each present one matching its schema. Names compare case-insensitively.
     */
    public List<String> headerProblems(String operation, Map<String, String> headers) {
        Map<String, String> byName = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        byName.putAll(headers);
        List<String> problems = new ArrayList<>();
        JsonNode parameters = document.at(operation + "/parameters");
        for (int i = 0; i < parameters.size(); i++) {
            JsonNode parameter = resolve(parameters.get(i));
            if (!"header".equals(parameter.path("in").asText())) {
                continue;
            }
            String name = parameter.path("name").asText();
            String value = byName.get(name);
            if (value == null) {
                if (parameter.path("required").asBoolean()) {
                    problems.add("required header " + name + " is missing");
                }
                continue;
            }
            Schema schema = registry.getSchema(SchemaLocation.of(iri + "#" + operation + "/parameters/" + i + "/schema"));
            schema.validate(JSON.getNodeFactory().textNode(value)).forEach(e -> problems.add("header " + name + ": " + e));
        }
        return problems;
    }

    /**
     * Problems of one response of {@code operation}: its status must be documented (or {@code default}),
     * its content type too when it has a body, and the body must match that schema; empty when it conforms.
     */
    public List<String> responseProblems(String operation, int status, String contentType, String body) {
        JsonNode responses = document.at(operation + "/responses");
        String code = responses.has(Integer.toString(status)) ? Integer.toString(status)
                : responses.has("default") ? "default" : null;
        if (code == null) {
            return List.of("status " + status + " is not documented at " + operation + "/responses");
        }
        JsonNode response = resolve(responses.get(code));
        if (body == null || body.isEmpty()) {
            return List.of();
        }
        String media = media(contentType);
        if (!response.path("content").has(media)) {
            return List.of("status " + status + ": content type " + media + " is not documented");
        }
        String pointer = pointerOf(responses.get(code), operation + "/responses/" + code) + "/content/" + escape(media)
                + "/schema";
        return bodyProblems(pointer, body);
    }

    private List<String> bodyProblems(String schemaPointer, String body) {
        JsonNode instance;
        try {
            instance = JSON.readTree(body);
        } catch (IOException e) {
            return List.of("body is not JSON: " + e.getMessage());
        }
        Schema schema = registry.getSchema(SchemaLocation.of(iri + "#" + schemaPointer));
        List<String> problems = new ArrayList<>();
        schema.validate(instance).forEach(e -> problems.add(e.toString()));
        return problems;
    }

    /** Follows one local {@code $ref} (responses may be shared under components). */
    private JsonNode resolve(JsonNode node) {
        return node.has("$ref") ? document.at(node.get("$ref").asText().substring(1)) : node;
    }

    private static String pointerOf(JsonNode node, String pointer) {
        return node.has("$ref") ? node.get("$ref").asText().substring(1) : pointer;
    }

    private static String media(String contentType) {
        return contentType == null ? "(none)" : contentType.split(";")[0].strip().toLowerCase(Locale.ROOT);
    }

    private static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }
}
