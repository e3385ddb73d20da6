package dev.firebreak.export.ocsf;

import dev.firebreak.config.Typed;
import dev.firebreak.config.PassThrough;
import dev.firebreak.config.DeclaredSettings;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

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
    private static final String ERROR = "invalid export configuration: ";

    /** Every key of the export stage, with type, default and what it does. */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(ENABLED, Type.BOOLEAN, false, Importance.HIGH, "Run the OCSF export: audit events and alerts as"
                    + " OCSF JSON on " + OcsfExporter.EXPORTED + ", for a SIEM.")
            .define(BOOTSTRAP_SERVERS, Type.STRING, null, Importance.HIGH, "Kafka bootstrap servers,"
                    + " host:port[,host:port...]. Required when " + ENABLED + "=true.")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, null, Importance.HIGH, "Where the Avro schemas of the audit events"
                    + " and alerts are: http(s)://... or mem://<scope>. Required when " + ENABLED + "=true.")
            .define(GROUP_ID, Type.STRING, DEFAULT_GROUP_ID, Importance.MEDIUM, "The consumer group; its committed"
                    + " offsets make the export at-least-once.");

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
                .filter(k -> k.startsWith(PREFIX) && !CONFIG.names().contains(k) && !k.startsWith(CLIENT_PREFIX))
                .sorted().toList();
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(ERROR + "unknown key(s) " + unknown + "; allowed: "
                    + new TreeSet<>(CONFIG.names()) + ", " + CLIENT_PREFIX + "*");
        }
        Typed.Values in = Typed.read(CONFIG, map, ERROR, "a whole number");
        if (!in.getBoolean(ENABLED)) {
            return Optional.empty();
        }
        for (String key : List.of(BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL)) {
            if (in.getString(key) == null || in.getString(key).isBlank()) {
                throw new IllegalArgumentException(ERROR + key + " is required when " + ENABLED + "=true");
            }
        }
        return Optional.of(new OcsfExportConfig(in.getString(BOOTSTRAP_SERVERS), in.getString(SCHEMA_REGISTRY_URL),
                in.getString(GROUP_ID), PassThrough.clientSettings(map, PREFIX)));
    }

    /** The export stage's keys and open prefixes, for {@code Settings.check} and the settings reference. */
    public static final class Definition extends DeclaredSettings {
        public Definition() {
            super("export", "OCSF export", CONFIG, Map.of(CLIENT_PREFIX, "Kafka client settings of the export's consumer"
                    + " and producer, e.g. security.protocol, sasl.jaas.config; bootstrap.servers is refused"), Map.of());
        }
    }

    /** Everything, the client settings masked (they may hold credentials). */
    @Override
    public String toString() {
        return "OcsfExportConfig[bootstrapServers=" + bootstrapServers + ", schemaRegistryUrl=" + schemaRegistryUrl
                + ", groupId=" + groupId + ", clientOverrides=" + new TreeSet<>(clientOverrides.keySet()) + " (values masked)]";
    }
}
