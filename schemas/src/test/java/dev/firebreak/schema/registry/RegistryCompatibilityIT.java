package dev.firebreak.schema.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.firebreak.schema.Topics;
import dev.firebreak.stack.ApicurioRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Compatibility levels set through the Confluent API of a real Apicurio Registry process (ccompat v7). */
class RegistryCompatibilityIT {
    private static ApicurioRegistry registry;

    @BeforeAll
    static void start() {
        registry = ApicurioRegistry.start(Duration.ofSeconds(120));
    }

    @AfterAll
    static void stop() {
        SchemaRegistries.forget(registry == null ? null : registry.confluentUrl());
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void startUpGovernsEveryPipelineSubjectWithBackwardTransitive() throws Exception {
        SchemaRegistries.forget(registry.confluentUrl());
        SchemaRegistries.registerPipelineSchemas(registry.confluentUrl());

        for (String topic : Topics.VALUE_SCHEMAS.keySet()) {
            HttpResponse<String> config = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(registry.confluentUrl() + "/config/" + topic + "-value")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(config.statusCode()).as(topic).isEqualTo(200);
            assertThat(new ObjectMapper().readTree(config.body()).get("compatibilityLevel").asText())
                    .as(topic).isEqualTo("BACKWARD_TRANSITIVE");
        }
    }

    @Test
    void aSchemaThatBreaksAnOlderVersionIsRefusedNotOnlyOneThatBreaksTheLatest() {
        SchemaRegistryClient client = new CachingSchemaRegistryClient(
                new HttpSchemaRegistryClient(registry.confluentUrl(), Duration.ofSeconds(10)), "BACKWARD_TRANSITIVE");
        String subject = "compat-it-value";
        // v1 writes n as an int; v2 drops n (readers ignore it); v3 brings n back as a string with a
        // default: compatible with v2 alone (BACKWARD), not with v1's records (BACKWARD_TRANSITIVE).
        client.register(subject, record("{\"name\": \"n\", \"type\": \"int\"}"));
        client.register(subject, record(""));
        Schema v3 = record("{\"name\": \"n\", \"type\": \"string\", \"default\": \"\"}");

        assertThatThrownBy(() -> client.register(subject, v3)).isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
            assertThat(e.status()).isEqualTo(409);
            assertThat(e.registryUnavailable()).isFalse();
        });

        // The same change is accepted under BACKWARD, which checks against the latest version only:
        // so the refusal above is the transitive rule at work, not something else about v3.
        String other = "compat-it-backward-value";
        SchemaRegistryClient backward = new CachingSchemaRegistryClient(
                new HttpSchemaRegistryClient(registry.confluentUrl(), Duration.ofSeconds(10)), "BACKWARD");
        backward.register(other, record("{\"name\": \"n\", \"type\": \"int\"}"));
        backward.register(other, record(""));
        assertThat(backward.register(other, v3)).isPositive();
    }

    private static Schema record(String field) {
        return new Schema.Parser().parse("{\"type\": \"record\", \"name\": \"X\", \"namespace\": \"compat.it\", \"fields\": ["
                + field + "]}");
    }
}
