package dev.firebreak.schema.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.apache.avro.Schema;

/**
 * Speaks the Confluent Schema Registry REST API ({@code POST /subjects/{s}/versions},
 * {@code GET /schemas/ids/{id}}), which Confluent, Apicurio (under {@code /apis/ccompat/v7}),
 * Karapace and Redpanda all serve. No caching here; wrap it in {@link CachingSchemaRegistryClient}.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI baseUrl;
    private final HttpClient http;
    private final Duration timeout;
    /** The Authorization header's value, or null; never logged or put in a message. */
    private final String authorization;

    /** A client without auth that trusts what the JVM trusts. */
    public HttpSchemaRegistryClient(String baseUrl, Duration timeout) {
        this(baseUrl, timeout, RegistryClientConfig.DEFAULT);
    }

    /** A client with the basic auth and truststore of {@code config}. */
    public HttpSchemaRegistryClient(String baseUrl, Duration timeout, RegistryClientConfig config) {
        String trimmed = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.baseUrl = URI.create(trimmed);
        this.timeout = timeout;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout);
        config.sslContext().ifPresent(builder::sslContext);
        this.http = builder.build();
        this.authorization = config.user().map(user -> "Basic " + Base64.getEncoder().encodeToString(
                (user + ":" + config.password()).getBytes(StandardCharsets.UTF_8))).orElse(null);
    }

    /** {@code PUT /config/{subject}}; the registry then refuses any schema that breaks the level. */
    @Override
    public void setCompatibility(String subject, String level) {
        String body;
        try {
            body = JSON.writeValueAsString(Map.of("compatibility", level));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        String what = "set compatibility " + level + " on subject " + subject;
        JsonNode answer = send(HttpRequest.newBuilder(URI.create(baseUrl + "/config/" + URLEncoder.encode(subject, StandardCharsets.UTF_8)))
                .header("Content-Type", CONTENT_TYPE)
                .header("Accept", CONTENT_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofString(body)), what);
        JsonNode set = answer.get("compatibility");
        if (set == null || !level.equals(set.asText())) {
            throw new SchemaRegistryException("registry answer to " + what + " does not confirm it: " + answer, 200, null);
        }
    }

    @Override
    public int register(String subject, Schema schema) {
        String body;
        try {
            body = JSON.writeValueAsString(Map.of("schemaType", "AVRO", "schema", schema.toString()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        String path = "/subjects/" + URLEncoder.encode(subject, StandardCharsets.UTF_8) + "/versions";
        JsonNode answer = send(HttpRequest.newBuilder(URI.create(baseUrl + path))
                .header("Content-Type", CONTENT_TYPE)
                .header("Accept", CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofString(body)), "register subject " + subject);
        return requiredInt(answer, "id", "register subject " + subject);
    }

    @Override
    public Schema schemaById(int id) {
        JsonNode answer = send(HttpRequest.newBuilder(URI.create(baseUrl + "/schemas/ids/" + id))
                .header("Accept", CONTENT_TYPE)
                .GET(), "fetch schema id " + id);
        JsonNode schema = answer.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw new SchemaRegistryException("registry answer for schema id " + id + " has no schema", 200, null);
        }
        return new Schema.Parser().parse(schema.asText());
    }

    private JsonNode send(HttpRequest.Builder request, String what) {
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
        } catch (SSLHandshakeException e) {
            // A certificate the truststore does not accept is configuration, not an outage to wait out.
            throw new SchemaRegistryException("schema registry at " + baseUrl + " refused (" + what + "): TLS handshake"
                    + " failed, check " + RegistryClientConfig.TRUSTSTORE_LOCATION + ": " + e.getMessage(),
                    SchemaRegistryException.TLS_FAILED, e);
        } catch (IOException e) {
            throw new SchemaRegistryException("schema registry at " + baseUrl + " unreachable (" + what + "): " + e,
                    SchemaRegistryException.NO_ANSWER, e);
        } catch (InterruptedException e) {
            // Neither bad data nor an outage to wait out: the caller is being stopped.
            throw new org.apache.kafka.common.errors.InterruptException("interrupted (" + what + ")", e);
        }
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            throw new SchemaRegistryException("schema registry at " + baseUrl + " refused to " + what + ": HTTP "
                    + response.statusCode() + " (check " + RegistryClientConfig.USER + " and its password)",
                    response.statusCode(), null);
        }
        if (response.statusCode() / 100 != 2) {
            throw new SchemaRegistryException("schema registry at " + baseUrl + " refused to " + what + ": HTTP "
                    + response.statusCode() + " " + response.body(), response.statusCode(), null);
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            // A 2xx that is not JSON comes from something in front of the registry (a proxy's page):
            // treated as no answer, so it is retried rather than blamed on the record.
            throw new SchemaRegistryException("schema registry answer to " + what + " is not JSON",
                    SchemaRegistryException.NO_ANSWER, e);
        }
    }

    private static int requiredInt(JsonNode node, String field, String what) {
        JsonNode value = node.get(field);
        if (value == null || !value.canConvertToInt()) {
            throw new SchemaRegistryException("registry answer to " + what + " has no " + field + ": " + node, 200, null);
        }
        return value.asInt();
    }

    @Override
    public String toString() {
        return "HttpSchemaRegistryClient[" + baseUrl + "]";
    }
}
