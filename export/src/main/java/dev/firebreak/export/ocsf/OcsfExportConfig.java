package dev.firebreak.export.ocsf;

import dev.firebreak.config.PassThrough;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * {@code firebreak.export.*}: the OCSF export stage. Off unless {@value #ENABLED} is {@code true}.
 *
 * @param bootstrapServers  Kafka bootstrap servers
 * @param schemaRegistryUrl where the Avro schemas of the audit events and alerts are
 * @param groupId           the consumer group; its committed offsets make the export at-least-once
 * @param clientOverrides   the stage's own Kafka client settings ({@code firebreak.export.client.*}), e.g. SASL
 */
public record OcsfExportConfig(String bootstrapServers, String schemaRegistryUrl, String groupId,
                               Map<String, String> clientOverrides) {
    public static final String PREFIX = "firebreak.export.";
    public static final String ENABLED = PREFIX + "ocsf.enabled";
    public static final String BOOTSTRAP_SERVERS = PREFIX + "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = PREFIX + "schema.registry.url";
    public static final String GROUP_ID = PREFIX + "group.id";
    public static final String CLIENT_PREFIX = PREFIX + PassThrough.CLIENT_INFIX;
    public static final String DEFAULT_GROUP_ID = "firebreak-export";
    private static final List<String> KEYS = List.of(ENABLED, BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL, GROUP_ID);

    public OcsfExportConfig {
        clientOverrides = Map.copyOf(clientOverrides);
    }

    /**
     * Empty unless {@value #ENABLED} is {@code true}.
     *
     * @throws IllegalArgumentException naming an unknown key, a bad {@value #ENABLED} or a missing required key
     */
    public static Optional<OcsfExportConfig> fromMap(Map<String, String> map) {
        List<String> unknown = map.keySet().stream()
                .filter(k -> k.startsWith(PREFIX) && !KEYS.contains(k) && !k.startsWith(CLIENT_PREFIX)).sorted().toList();
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("invalid export configuration: unknown key(s) " + unknown + "; allowed: "
                    + new TreeSet<>(KEYS) + ", " + CLIENT_PREFIX + "*");
        }
        String enabled = map.getOrDefault(ENABLED, "false").strip();
        if (!enabled.equals("true") && !enabled.equals("false")) {
            throw new IllegalArgumentException("invalid export configuration: " + ENABLED + " must be true or false, was '"
                    + enabled + "'");
        }
        if (enabled.equals("false")) {
            return Optional.empty();
        }
        for (String key : List.of(BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL)) {
            if (map.get(key) == null || map.get(key).isBlank()) {
                throw new IllegalArgumentException("invalid export configuration: " + key + " is required when " + ENABLED
                        + "=true");
            }
        }
        return Optional.of(new OcsfExportConfig(map.get(BOOTSTRAP_SERVERS).strip(), map.get(SCHEMA_REGISTRY_URL).strip(),
                map.getOrDefault(GROUP_ID, DEFAULT_GROUP_ID), PassThrough.clientSettings(map, PREFIX)));
    }

    /** Everything, the client settings masked (they may hold credentials). */
    @Override
    public String toString() {
        return "OcsfExportConfig[bootstrapServers=" + bootstrapServers + ", schemaRegistryUrl=" + schemaRegistryUrl
                + ", groupId=" + groupId + ", clientOverrides=" + new TreeSet<>(clientOverrides.keySet()) + " (values masked)]";
    }
}
